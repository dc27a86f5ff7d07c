// train.csv and additional_metadata.csv, read as RFC 4180 (util::csv): quoted fields, LF, CRLF or
// CR-only line endings, a UTF-8 byte-order mark. Cells are trimmed of surrounding blanks.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>

#include "data/index_internal.h"
#include "util/csv.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/number_text.h"

namespace murmur::data::detail {

namespace fs = std::filesystem;
namespace csv = util::csv;

namespace {

struct Sheet {
  csv::Row header;
  std::vector<std::pair<int, csv::Row>> rows;  // (1-based line, cells)
};

std::string trim(std::string s) {
  auto blank = [](unsigned char c) { return std::isspace(c) != 0; };
  while (!s.empty() && blank(s.back())) s.pop_back();
  size_t b = 0;
  while (b < s.size() && blank(s[b])) ++b;
  return s.substr(b);
}

// Throws murmur::Error("<source>:<line>: unterminated quoted field").
Sheet read_sheet(const std::string& path, const std::string& source) {
  std::vector<int> lines;
  std::vector<csv::Row> rows = csv::parse_rows(util::read_file(path), source, &lines);
  Sheet t;
  for (size_t r = 0; r < rows.size(); ++r) {
    for (auto& c : rows[r]) c = trim(c);
    if (rows[r].size() == 1 && rows[r][0].empty()) continue;  // a blank line
    if (t.header.empty()) t.header = std::move(rows[r]);
    else t.rows.emplace_back(lines[r], std::move(rows[r]));
  }
  return t;
}

std::string in_quotes(const std::string& text) { return "'" + csv::printable(text) + "'"; }

}  // namespace

std::vector<CsvRow> read_train_csv(const std::string& path, std::vector<Anomaly>& anomalies) {
  const std::string csv = "train.csv";
  auto add = [&](AnomalyKind kind, const std::string& where, const std::string& message) {
    anomalies.push_back({kind, where, message});
  };
  Sheet t = read_sheet(path, path);
  if (t.header.empty()) throw Error(path + ": empty (expected a header patient_id,AS,AR,MR,MS,N,recording_1..8)");
  int id_col = -1;
  std::vector<std::pair<int, int>> label_cols;  // (column, class index)
  std::vector<int> rec_cols;
  for (int c = 0; c < static_cast<int>(t.header.size()); ++c) {
    const std::string& h = t.header[c];
    if (lower(h) == "patient_id") {
      id_col = c;
    } else if (lower(h).rfind("recording", 0) == 0) {
      rec_cols.push_back(c);
    } else if (class_index(h) >= 0) {
      label_cols.emplace_back(c, class_index(h));
    } else {
      add(AnomalyKind::kUnknownLabel, csv + ":1", "column " + in_quotes(h) + " is not a known label (AR, AS, MR, MS, N): ignored");
    }
  }
  if (id_col < 0 || rec_cols.empty()) {
    std::string joined;
    for (const auto& h : t.header) joined += (joined.empty() ? "" : ",") + h;
    throw Error(path + ": header lacks a patient_id column or recording_N columns (got " + in_quotes(joined) + ")");
  }
  // A missing label column would silently turn its patients into other classes (or none).
  std::string missing;
  for (const auto& name : kClassNames) {
    bool found = false;
    for (auto& [c, k] : label_cols) found = found || kClassNames[size_t(k)] == name;
    if (!found) missing += (missing.empty() ? "" : ", ") + name;
  }
  if (!missing.empty())
    throw Error(path + ": header lacks the label column(s) " + missing + " (expected AS, AR, MR, MS and N)");

  std::vector<CsvRow> out;
  std::set<std::string> seen_ids;
  for (auto& [line, cells] : t.rows) {
    std::string where = csv + ":" + std::to_string(line);
    if (cells.size() != t.header.size()) {
      add(AnomalyKind::kMalformedRow, where, std::to_string(cells.size()) + " fields, header has " +
          std::to_string(t.header.size()) + ": row skipped");
      continue;
    }
    CsvRow row;
    row.line = line;
    row.csv_patient_id = cells[id_col];
    if (row.csv_patient_id.empty()) {
      add(AnomalyKind::kMalformedRow, where, "empty patient_id: row skipped");
      continue;
    }
    bool bad = false;
    for (auto [c, k] : label_cols) {
      if (cells[c] == "1") {
        row.labels.push_back(k);
      } else if (cells[c] != "0") {
        add(AnomalyKind::kMalformedRow, where, "column " + csv::printable(t.header[c]) + " is " + in_quotes(cells[c]) +
            ", expected 0 or 1: row skipped");
        bad = true;
        break;
      }
    }
    if (bad) continue;
    if (!seen_ids.insert(row.csv_patient_id).second) {
      add(AnomalyKind::kDuplicate, where, csv::printable(row.csv_patient_id) + " already has a row: repeat skipped");
      continue;
    }
    std::sort(row.labels.begin(), row.labels.end());
    if (row.labels.empty())
      add(AnomalyKind::kUnknownLabel, where, csv::printable(row.csv_patient_id) + " has no label set: labels unknown");
    for (int c : rec_cols)
      if (!cells[c].empty()) row.names.push_back(cells[c]);
    out.push_back(std::move(row));
  }
  return out;
}

void read_metadata(const std::string& dir, std::vector<Patient>& patients, std::vector<Anomaly>& anomalies) {
  std::string path = (fs::path(dir) / "additional_metadata.csv").string();
  if (!fs::is_regular_file(path)) return;
  const std::string csv = "additional_metadata.csv";
  auto add = [&](const std::string& where, const std::string& message) {
    anomalies.push_back({AnomalyKind::kBadMetadata, where, message});
  };
  Sheet t;
  try {
    t = read_sheet(path, csv);
  } catch (const Error& e) {
    add(csv, std::string(e.what()) + ": metadata ignored");
    return;
  }
  auto col = [&](const std::string& name) {
    for (int c = 0; c < static_cast<int>(t.header.size()); ++c)
      if (lower(t.header[c]) == lower(name)) return c;
    return -1;
  };
  int id_c = col("patient_id"), age_c = col("Age"), gender_c = col("Gender"), smoker_c = col("Smoker"),
      lives_c = col("Lives");
  if (id_c < 0) {
    add(csv + ":1", "no patient_id column: metadata ignored");
    return;
  }
  std::map<std::string, int> by_csv_id;
  for (size_t i = 0; i < patients.size(); ++i)
    if (!patients[i].csv_patient_id.empty()) by_csv_id[patients[i].csv_patient_id] = static_cast<int>(i);
  for (auto& [line, cells] : t.rows) {
    std::string where = csv + ":" + std::to_string(line);
    if (cells.size() != t.header.size()) {
      add(where, std::to_string(cells.size()) + " fields, header has " + std::to_string(t.header.size()) + ": skipped");
      continue;
    }
    auto it = by_csv_id.find(cells[id_c]);
    if (it == by_csv_id.end()) continue;  // metadata for a patient without recordings: harmless
    PatientMetadata m;
    try {
      if (age_c >= 0 && !cells[age_c].empty()) m.age_years = util::parse_int(cells[age_c]);
      if (smoker_c >= 0 && !cells[smoker_c].empty()) m.smoker = util::parse_int(cells[smoker_c]);
    } catch (const std::exception&) {
      add(where, "Age or Smoker is not a number: skipped");
      continue;
    }
    if (gender_c >= 0) m.gender = cells[gender_c];
    if (lives_c >= 0) m.lives = cells[lives_c];
    patients[it->second].metadata = m;
  }
}

}  // namespace murmur::data::detail
