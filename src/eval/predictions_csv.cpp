// Predictions CSV (metrics.h): written and read through util/csv, so any file name round-trips.
#include <cstdio>
#include <map>

#include "eval/internal.h"
#include "eval/metrics.h"
#include "util/csv.h"
#include "util/error.h"
#include "util/fs.h"

namespace murmur::eval {

namespace {
const std::vector<std::string> kFixed = {"file", "patient", "site", "position", "fold", "repeat", "true_class"};
}  // namespace

std::string predictions_to_csv(const Predictions& preds, const std::vector<std::string>& class_names) {
  const int k = static_cast<int>(class_names.size());
  check_rows(preds, k);
  util::csv::Row header = kFixed;
  for (const auto& c : class_names) header.push_back("p_" + c);
  std::string out = util::csv::format_row(header);
  char buf[32];
  util::csv::Row row;
  for (const auto& r : preds) {
    row = {r.file, r.patient, r.site, r.position, std::to_string(r.fold), std::to_string(r.repeat),
           class_names[r.true_class]};
    for (float p : r.probs) {
      std::snprintf(buf, sizeof buf, "%.9g", p);  // 9 significant digits: a float round-trips
      row.push_back(buf);
    }
    out += util::csv::format_row(row);
  }
  return out;
}

void write_predictions_csv(const std::string& path, const Predictions& preds,
                           const std::vector<std::string>& class_names) {
  util::write_file_atomic(path, predictions_to_csv(preds, class_names));
}

Predictions predictions_from_csv(const std::string& text, const std::string& source_name,
                                 std::vector<std::string>* class_names) {
  std::vector<int> lines;
  std::vector<util::csv::Row> records = util::csv::parse_rows(text, source_name, &lines);
  if (records.empty()) throw Error(source_name + ": empty file (expected a predictions CSV header)");
  const util::csv::Row& head = records[0];
  const std::string head_at = source_name + ":" + std::to_string(lines[0]);
  for (size_t i = 0; i < kFixed.size(); ++i)
    if (i >= head.size() || head[i] != kFixed[i])
      throw Error(head_at + ": column " + std::to_string(i + 1) + " should be '" + kFixed[i] +
                  "' (is this a murmur predictions CSV?)");
  std::vector<std::string> names;
  for (size_t i = kFixed.size(); i < head.size(); ++i) {
    if (head[i].rfind("p_", 0) != 0)
      throw Error(head_at + ": column '" + util::csv::printable(head[i]) + "' should be p_<class>");
    names.push_back(head[i].substr(2));
  }
  if (names.size() < 2) throw Error(head_at + ": need at least 2 p_<class> columns");
  std::map<std::string, int> index;
  for (size_t c = 0; c < names.size(); ++c) index[names[c]] = static_cast<int>(c);
  Predictions out;
  for (size_t r = 1; r < records.size(); ++r) {
    const util::csv::Row& f = records[r];
    const std::string where = source_name + ":" + std::to_string(lines[r]);
    if (f.size() != head.size())
      throw Error(where + ": " + std::to_string(f.size()) + " fields, the header has " +
                  std::to_string(head.size()));
    Prediction p;
    p.file = f[0], p.patient = f[1], p.site = f[2], p.position = f[3];
    try {
      size_t used = 0;
      p.fold = std::stoi(f[4], &used);
      if (used != f[4].size()) throw std::invalid_argument("fold");
      p.repeat = std::stoi(f[5], &used);
      if (used != f[5].size()) throw std::invalid_argument("repeat");
      for (size_t c = 0; c < names.size(); ++c) {
        const std::string& s = f[kFixed.size() + c];
        p.probs.push_back(std::stof(s, &used));
        if (used != s.size()) throw std::invalid_argument("prob");
      }
    } catch (const std::exception&) {
      throw Error(where + ": fold, repeat or a probability is not a number");
    }
    auto it = index.find(f[6]);
    if (it == index.end())
      throw Error(where + ": true_class '" + util::csv::printable(f[6]) + "' is not one of the p_ columns");
    p.true_class = it->second;
    out.push_back(std::move(p));
  }
  if (class_names) *class_names = names;
  return out;
}

Predictions read_predictions_csv(const std::string& path, std::vector<std::string>* class_names) {
  return predictions_from_csv(util::read_file(path), path, class_names);
}

}  // namespace murmur::eval
