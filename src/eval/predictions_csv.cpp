// Predictions CSV (predictions.h): written and read through util/csv, so any file name round-trips.
#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <map>

#include "eval/internal.h"
#include "eval/metrics.h"
#include "util/csv.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/number_text.h"

namespace murmur::eval {

namespace {
const std::vector<std::string> kFixed = {"file", "patient", "site", "position", "fold", "repeat", "true_class"};

// "AR+AS" -> ascending indices; "N" -> {}. Throws std::invalid_argument naming the bad part.
std::vector<int> parse_label_set(const std::string& text, const std::map<std::string, int>& index) {
  std::vector<int> out;
  if (text == "N") return out;
  size_t start = 0;
  while (true) {
    size_t plus = text.find('+', start);
    std::string name = text.substr(start, plus == std::string::npos ? std::string::npos : plus - start);
    auto it = index.find(name);
    if (it == index.end()) throw std::invalid_argument(name);
    out.push_back(it->second);
    if (plus == std::string::npos) break;
    start = plus + 1;
  }
  std::sort(out.begin(), out.end());
  if (std::adjacent_find(out.begin(), out.end()) != out.end()) throw std::invalid_argument(text);
  return out;
}

}  // namespace

std::string label_set_name(const std::vector<int>& labels, const std::vector<std::string>& class_names) {
  std::vector<int> sorted = labels;
  std::sort(sorted.begin(), sorted.end());
  std::string out;
  for (int l : sorted) out += (out.empty() ? "" : "+") + class_names.at(size_t(l));
  return out.empty() ? "N" : out;
}

void check_multilabel_rows(const Predictions& rows, int k) {
  for (const auto& r : rows) {
    if (static_cast<int>(r.probs.size()) != k)
      throw Error("predictions: " + r.file + ": " + std::to_string(r.probs.size()) +
                  " probabilities for " + std::to_string(k) + " labels");
    for (size_t i = 0; i < r.true_labels.size(); ++i)
      if (r.true_labels[i] < 0 || r.true_labels[i] >= k || (i && r.true_labels[i] <= r.true_labels[i - 1]))
        throw Error("predictions: " + r.file + ": true_labels must be ascending distinct indices in 0.." +
                    std::to_string(k - 1));
    for (int u : r.unknown_labels)
      if (u < 0 || u >= k)
        throw Error("predictions: " + r.file + ": unknown label " + std::to_string(u) + " outside 0.." + std::to_string(k - 1));
    if (!r.thresholds.empty() && static_cast<int>(r.thresholds.size()) != k)
      throw Error("predictions: " + r.file + ": " + std::to_string(r.thresholds.size()) +
                  " thresholds for " + std::to_string(k) + " labels");
  }
}

std::string predictions_to_csv(const Predictions& preds, const std::vector<std::string>& class_names) {
  const int k = static_cast<int>(class_names.size());
  const bool multi = is_multi_label(class_names);
  multi ? check_multilabel_rows(preds, k) : check_rows(preds, k);
  bool with_thresholds = false;
  for (const auto& r : preds) {
    if (!r.thresholds.empty() && static_cast<int>(r.thresholds.size()) != k)
      throw Error("predictions: " + r.file + ": " + std::to_string(r.thresholds.size()) +
                  " thresholds for " + std::to_string(k) + " classes");
    with_thresholds |= !r.thresholds.empty();
  }
  util::csv::Row header = kFixed;
  for (const auto& c : class_names) header.push_back("p_" + c);
  if (with_thresholds)
    for (const auto& c : class_names) header.push_back("t_" + c);
  std::string out = util::csv::format_row(header);
  util::csv::Row row;
  for (const auto& r : preds) {
    row = {r.file, r.patient, r.site, r.position, std::to_string(r.fold), std::to_string(r.repeat),
           multi ? label_set_name(r.true_labels, class_names) : class_names[r.true_class]};
    const std::string what = "predictions: " + r.file + ": ";
    for (int c = 0; c < k; ++c)
      row.push_back(util::float_text(util::flush_probability(r.probs[size_t(c)]), what + "p_" + class_names[size_t(c)]));
    if (with_thresholds)
      for (int c = 0; c < k; ++c)
        row.push_back(r.thresholds.empty() ? ""
                                           : util::float_text(r.thresholds[size_t(c)], what + "t_" + class_names[size_t(c)]));
    out += util::csv::format_row(row);
  }
  return out;
}

void write_predictions_csv(const std::string& path, const Predictions& preds,
                           const std::vector<std::string>& class_names) {
  std::string text;
  try {
    text = predictions_to_csv(preds, class_names);
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
  util::write_file_atomic(path, text);
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
  size_t col = kFixed.size();
  for (; col < head.size() && head[col].rfind("p_", 0) == 0; ++col) names.push_back(head[col].substr(2));
  const size_t k = names.size();
  const bool with_thresholds = col < head.size();
  for (size_t c = 0; with_thresholds && c < k; ++c)
    if (col + c >= head.size() || head[col + c] != "t_" + names[c])
      throw Error(head_at + ": column " + std::to_string(col + c + 1) + " should be 't_" +
                  util::csv::printable(names[c]) + "' (thresholds follow the p_ columns in their order)");
  if (col < head.size() && head.size() != col + k)
    throw Error(head_at + ": column '" + util::csv::printable(head[std::min(col + k, head.size() - 1)]) +
                "' should be p_<class> or t_<class>");
  if (k < 2) throw Error(head_at + ": need at least 2 p_<class> columns");
  const bool multi = is_multi_label(names);
  std::map<std::string, int> index;
  for (size_t c = 0; c < names.size(); ++c) {
    // What label_set_name could not write back: an empty name, a repeated one, a '+' in a label set.
    if (names[c].empty() || (multi && names[c].find('+') != std::string::npos) ||
        !index.emplace(names[c], static_cast<int>(c)).second)
      throw Error(head_at + ": class column 'p_" + util::csv::printable(names[c]) +
                  "' is empty, repeated, or holds '+' (which joins label sets)");
  }
  Predictions out;
  for (size_t r = 1; r < records.size(); ++r) {
    const util::csv::Row& f = records[r];
    const std::string where = source_name + ":" + std::to_string(lines[r]);
    if (f.size() != head.size())
      throw Error(where + ": " + std::to_string(f.size()) + " fields, the header has " +
                  std::to_string(head.size()));
    Prediction p;
    p.file = f[0], p.patient = f[1], p.site = f[2], p.position = f[3];
    auto number = [&](size_t c, auto parse) {
      try {
        return parse(f[c]);
      } catch (const std::exception& e) {
        throw Error(where + ": " + util::csv::printable(head[c]) + " '" + util::csv::printable(f[c]) + "' is not a " +
                    (c < kFixed.size() ? "whole number" : "finite number") + " (" + e.what() + ")");
      }
    };
    p.fold = number(4, util::parse_int);
    p.repeat = number(5, util::parse_int);
    for (size_t c = 0; c < k; ++c) {
      p.probs.push_back(number(kFixed.size() + c, util::parse_float));
      if (!(p.probs.back() >= 0 && p.probs.back() <= 1.001f))  // 1 and a little float rounding
        throw Error(where + ": " + util::csv::printable(head[kFixed.size() + c]) + " '" +
                    util::csv::printable(f[kFixed.size() + c]) + "' is not a probability (0-1)");
    }
    if (with_thresholds) {
      size_t empty = 0;
      for (size_t c = 0; c < k; ++c) empty += f[col + c].empty();
      if (empty != 0 && empty != k) throw Error(where + ": some t_ columns are empty, others not");
      for (size_t c = 0; empty == 0 && c < k; ++c) p.thresholds.push_back(number(col + c, util::parse_float));
    }
    if (multi) {
      p.true_class = -1;
      try {
        p.true_labels = parse_label_set(f[6], index);
      } catch (const std::exception& e) {
        throw Error(where + ": true_class '" + util::csv::printable(f[6]) +
                    "' is not N or a '+'-joined list of the p_ columns' labels");
      }
    } else {
      auto it = index.find(f[6]);
      if (it == index.end())
        throw Error(where + ": true_class '" + util::csv::printable(f[6]) + "' is not one of the p_ columns");
      p.true_class = it->second;
    }
    out.push_back(std::move(p));
  }
  if (class_names) *class_names = names;
  return out;
}

Predictions read_predictions_csv(const std::string& path, std::vector<std::string>* class_names) {
  return predictions_from_csv(util::read_file(path), path, class_names);
}

}  // namespace murmur::eval
