#include "data/index.h"

#include <sndfile.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "util/error.h"
#include "util/fs.h"

namespace murmur::data {

namespace fs = std::filesystem;

int class_index(const std::string& name) {
  auto it = std::find(kClassNames.begin(), kClassNames.end(), name);
  return it == kClassNames.end() ? -1 : static_cast<int>(it - kClassNames.begin());
}

static bool one_of(const std::string& s, const std::vector<std::string>& options) {
  return std::find(options.begin(), options.end(), s) != options.end();
}

static std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

// Surrounding blanks and one pair of double quotes (spreadsheet exports add them).
static std::string clean_cell(std::string s) {
  auto blank = [](unsigned char c) { return std::isspace(c) != 0; };
  while (!s.empty() && blank(s.back())) s.pop_back();
  size_t b = 0;
  while (b < s.size() && blank(s[b])) ++b;
  s = s.substr(b);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

std::optional<RecordingName> parse_recording_name(const std::string& stem) {
  auto parts = split(stem, '_');
  if (parts.size() != 4) return std::nullopt;
  RecordingName n{parts[0], parts[1], parts[2], parts[3]};
  if (!one_of(n.file_class, kFileClasses) || !one_of(n.position, kPositions) || !one_of(n.site, kSites))
    return std::nullopt;
  if (n.pid.empty() || !std::all_of(n.pid.begin(), n.pid.end(), [](unsigned char c) { return std::isdigit(c); }))
    return std::nullopt;
  return n;
}

const char* anomaly_kind_name(AnomalyKind kind) {
  switch (kind) {
    case AnomalyKind::kNoCsvRow: return "no_csv_row";
    case AnomalyKind::kUnlistedFile: return "unlisted_file";
    case AnomalyKind::kNameMismatch: return "name_mismatch";
    case AnomalyKind::kMissingFile: return "missing_file";
    case AnomalyKind::kUnusualDuration: return "unusual_duration";
    case AnomalyKind::kMalformedRow: return "malformed_row";
    case AnomalyKind::kUnknownLabel: return "unknown_label";
    case AnomalyKind::kDuplicate: return "duplicate";
    case AnomalyKind::kUnreadableAudio: return "unreadable_audio";
    case AnomalyKind::kBadFileName: return "bad_file_name";
    case AnomalyKind::kLabelMismatch: return "label_mismatch";
    case AnomalyKind::kBadMetadata: return "bad_metadata";
  }
  return "unknown";
}

int DatasetIndex::patient_index(const std::string& id) const {
  for (size_t i = 0; i < patients.size(); ++i)
    if (patients[i].id == id) return static_cast<int>(i);
  return -1;
}

namespace {

struct AudioFile {
  std::string path, rel, stem;
  uint64_t size_bytes = 0;
  SF_INFO info{};
  int claimed_by_row = -1;  // index into rows, -1 = not listed in the CSV
  std::string csv_name;
};

struct CsvRow {
  int line = 0;
  std::string csv_patient_id;
  std::vector<int> labels;
  std::vector<std::string> names;  // recording names as written
};

struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::pair<int, std::vector<std::string>>> rows;  // (1-based line, cells)
};

bool is_audio_extension(const fs::path& p) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return std::tolower(c); });
  return e == ".wav" || e == ".flac" || e == ".ogg";
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

CsvTable read_csv(const std::string& path) {
  std::string text = util::read_file(path);
  CsvTable t;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (clean_cell(line).empty()) continue;
    auto cells = split(line, ',');
    for (auto& c : cells) c = clean_cell(c);
    if (t.header.empty()) {
      // A UTF-8 byte-order mark would otherwise become part of the first column's name.
      if (cells[0].rfind("\xEF\xBB\xBF", 0) == 0) cells[0] = cells[0].substr(3);
      t.header = cells;
    } else {
      t.rows.emplace_back(n, cells);
    }
  }
  return t;
}

class Indexer {
 public:
  Indexer(const std::string& dir, const IndexOptions& options) : options_(options) { ix_.dir = dir; }

  DatasetIndex run() {
    const std::string& dir = ix_.dir;
    if (!fs::is_directory(dir)) throw Error(dir + ": not a folder (expected a BMD-HS copy or a folder of .wav files)");
    csv_path_ = (fs::path(dir) / "train.csv").string();
    bool bmdhs = fs::is_regular_file(csv_path_);
    ix_.layout = bmdhs ? "bmd-hs" : "folder";
    std::string audio_dir = bmdhs && fs::is_directory(fs::path(dir) / "train") ? (fs::path(dir) / "train").string() : dir;
    list_audio(audio_dir);
    if (bmdhs) read_rows();
    build_recordings(bmdhs);
    if (bmdhs) read_metadata();
    flag_durations();
    make_fingerprint(bmdhs);
    ix_.summary = summarize(ix_.recordings, ix_.patients);
    return std::move(ix_);
  }

 private:
  void add(AnomalyKind kind, const std::string& where, const std::string& message) {
    ix_.anomalies.push_back({kind, where, message});
  }

  void list_audio(const std::string& audio_dir) {
    std::vector<fs::path> paths;
    for (const auto& e : fs::directory_iterator(audio_dir))
      if (e.is_regular_file() && is_audio_extension(e.path())) paths.push_back(e.path());
    std::sort(paths.begin(), paths.end());
    for (const auto& p : paths) {
      AudioFile f;
      f.path = p.string();
      f.rel = fs::relative(p, ix_.dir).generic_string();
      f.stem = p.stem().string();
      f.size_bytes = fs::file_size(p);
      SNDFILE* sf = sf_open(f.path.c_str(), SFM_READ, &f.info);
      if (!sf) {
        add(AnomalyKind::kUnreadableAudio, f.rel, std::string("not readable as audio (") + sf_strerror(nullptr) + "): skipped");
        continue;
      }
      sf_close(sf);
      if (f.info.frames <= 0 || f.info.channels <= 0 || f.info.samplerate <= 0) {
        add(AnomalyKind::kUnreadableAudio, f.rel, "header declares no audio frames: skipped");
        continue;
      }
      by_stem_[f.stem] = static_cast<int>(files_.size());
      files_.push_back(std::move(f));
    }
  }

  void read_rows() {
    CsvTable t = read_csv(csv_path_);
    const std::string csv = "train.csv";
    if (t.header.empty()) throw Error(csv_path_ + ": empty (expected a header patient_id,AS,AR,MR,MS,N,recording_1..8)");
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
        add(AnomalyKind::kUnknownLabel, csv + ":1",
            "column '" + h + "' is not a known label (" + "AR, AS, MR, MS, N): ignored");
      }
    }
    if (id_col < 0 || rec_cols.empty())
      throw Error(csv_path_ + ": header lacks a patient_id column or recording_N columns (got '" +
                  [&] { std::string s; for (auto& h : t.header) s += (s.empty() ? "" : ",") + h; return s; }() + "')");

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
          add(AnomalyKind::kMalformedRow, where, "column " + t.header[c] + " is '" + cells[c] +
              "', expected 0 or 1: row skipped");
          bad = true;
          break;
        }
      }
      if (bad) continue;
      if (!seen_ids.insert(row.csv_patient_id).second) {
        add(AnomalyKind::kDuplicate, where, row.csv_patient_id + " already has a row: repeat skipped");
        continue;
      }
      std::sort(row.labels.begin(), row.labels.end());
      if (row.labels.empty()) add(AnomalyKind::kUnknownLabel, where, row.csv_patient_id + " has no label set: labels unknown");
      for (int c : rec_cols)
        if (!cells[c].empty()) row.names.push_back(cells[c]);
      rows_.push_back(std::move(row));
    }
  }

  // Exact stem first; otherwise the unique file whose stem starts with the CSV name.
  int resolve(const std::string& name, const std::string& where, int row_index) {
    auto it = by_stem_.find(name);
    if (it != by_stem_.end()) return it->second;
    std::vector<int> candidates;
    for (int i = 0; i < static_cast<int>(files_.size()); ++i)
      if (files_[i].stem.rfind(name, 0) == 0 && !parse_recording_name(files_[i].stem) && files_[i].claimed_by_row < 0)
        candidates.push_back(i);
    if (candidates.size() == 1) {
      const AudioFile& f = files_[candidates[0]];
      add(AnomalyKind::kNameMismatch, f.rel, "listed as " + name + " in " + where + ", stored as " +
          fs::path(f.path).filename().string() + ": resolved by unique prefix");
      return candidates[0];
    }
    std::string msg = rows_[row_index].csv_patient_id + " lists " + name + " (" + where + ") but ";
    if (candidates.empty()) {
      msg += "no file matches";
    } else {
      msg += "several files match:";
      for (int i : candidates) msg += " " + files_[i].stem;
    }
    add(AnomalyKind::kMissingFile, name, msg);
    return -1;
  }

  Patient& patient(const std::string& id) {
    auto it = patient_of_.find(id);
    if (it != patient_of_.end()) return ix_.patients[it->second];
    patient_of_[id] = static_cast<int>(ix_.patients.size());
    ix_.patients.push_back({});
    ix_.patients.back().id = id;
    return ix_.patients.back();
  }

  static std::vector<int> labels_from_name(const RecordingName& n) {
    int k = class_index(n.file_class);
    return k >= 0 ? std::vector<int>{k} : std::vector<int>{};
  }

  Recording make_recording(const AudioFile& f, const RecordingName& n, const std::string& name,
                           const std::vector<int>& labels) {
    Recording r;
    r.path = f.path;
    r.name = name;
    r.stem = f.stem;
    r.patient_id = n.patient_id();
    r.file_class = n.file_class;
    r.position = n.position;
    r.site = n.site;
    r.labels = labels;
    r.label = labels.size() == 1 ? labels[0] : -1;
    r.sample_rate_hz = f.info.samplerate;
    r.channels = f.info.channels;
    r.frames = f.info.frames;
    r.duration_s = static_cast<double>(f.info.frames) / f.info.samplerate;
    r.size_bytes = f.size_bytes;
    return r;
  }

  void build_recordings(bool bmdhs) {
    std::set<std::string> seen_names;
    std::map<std::string, int> row_of_patient;  // CLASS_PID -> row index
    for (int ri = 0; ri < static_cast<int>(rows_.size()); ++ri) {
      CsvRow& row = rows_[ri];
      std::string where = "train.csv:" + std::to_string(row.line);
      std::string id;
      for (const auto& name : row.names) {
        auto n = parse_recording_name(name);
        if (!n) {
          add(AnomalyKind::kMalformedRow, where, "recording name '" + name +
              "' is not CLASS_PID_POSITION_SITE (e.g. AS_005_sit_Aor): recording skipped");
          continue;
        }
        if (id.empty()) {
          id = n->patient_id();
        } else if (n->patient_id() != id) {
          add(AnomalyKind::kMalformedRow, where, "recording " + name + " belongs to " + n->patient_id() +
              ", the row's other recordings to " + id + ": recording skipped");
          continue;
        }
        if (!seen_names.insert(name).second) {
          add(AnomalyKind::kDuplicate, where, name + " is listed twice: repeat skipped");
          continue;
        }
        int fi = resolve(name, where, ri);
        if (fi < 0) continue;
        files_[fi].claimed_by_row = ri;
        files_[fi].csv_name = name;
      }
      if (id.empty()) id = row.csv_patient_id;
      if (row_of_patient.count(id)) {
        add(AnomalyKind::kDuplicate, where, id + " already has a row: repeat ignored");
        continue;
      }
      row_of_patient[id] = ri;
      Patient& p = patient(id);
      p.csv_patient_id = row.csv_patient_id;
      p.labels = row.labels;
      p.label = p.labels.size() == 1 ? p.labels[0] : -1;
      check_labels(id.substr(0, id.find('_')), row.labels, where, id);
    }

    std::map<std::string, int> unlisted_per_patient;  // patients without a row -> recordings
    for (auto& f : files_) {
      std::string name = f.claimed_by_row >= 0 ? f.csv_name : f.stem;
      auto n = parse_recording_name(name);
      if (!n) {
        add(AnomalyKind::kBadFileName, f.rel, "name is not CLASS_PID_POSITION_SITE (CLASS in N/AS/AR/MR/MS/MD, "
            "POSITION sit/sup, SITE Aor/Mit/Pul/Tri, e.g. AS_005_sit_Aor.wav): skipped");
        continue;
      }
      std::vector<int> labels;
      if (f.claimed_by_row >= 0) {
        labels = rows_[f.claimed_by_row].labels;
      } else if (bmdhs && row_of_patient.count(n->patient_id())) {
        labels = rows_[row_of_patient[n->patient_id()]].labels;
        add(AnomalyKind::kUnlistedFile, f.rel, n->patient_id() + " has a row in train.csv that does not list " +
            name + ": kept with the row's labels");
      } else {
        labels = labels_from_name(*n);
        if (bmdhs) ++unlisted_per_patient[n->patient_id()];
      }
      Patient& p = patient(n->patient_id());
      if (p.csv_patient_id.empty()) {
        p.labels = labels;
        p.label = labels.size() == 1 ? labels[0] : -1;
      }
      ix_.recordings.push_back(make_recording(f, *n, name, labels));
    }
    for (auto& [id, count] : unlisted_per_patient) {
      const Patient& p = ix_.patients[patient_of_[id]];
      add(AnomalyKind::kNoCsvRow, id, std::to_string(count) + " recording(s) but no row in train.csv: labels " +
          (p.labels.empty() ? std::string("unknown") : "taken from the file name (" + kClassNames[p.labels[0]] + ")"));
    }

    std::sort(ix_.recordings.begin(), ix_.recordings.end(),
              [](const Recording& a, const Recording& b) { return a.stem < b.stem; });
    // Patients of rows whose every file is missing stay listed (with no recordings).
    std::sort(ix_.patients.begin(), ix_.patients.end(), [](const Patient& a, const Patient& b) { return a.id < b.id; });
    patient_of_.clear();
    for (size_t i = 0; i < ix_.patients.size(); ++i) patient_of_[ix_.patients[i].id] = static_cast<int>(i);
    for (size_t i = 0; i < ix_.recordings.size(); ++i)
      ix_.patients[patient_of_[ix_.recordings[i].patient_id]].recordings.push_back(static_cast<int>(i));
  }

  void check_labels(const std::string& file_class, const std::vector<int>& labels, const std::string& where,
                    const std::string& id) {
    if (labels.empty() || !one_of(file_class, kFileClasses)) return;  // reported elsewhere
    int k = class_index(file_class);
    std::string got;
    for (int l : labels) got += (got.empty() ? "" : "+") + kClassNames[l];
    if (k >= 0 && !(labels.size() == 1 && labels[0] == k))
      add(AnomalyKind::kLabelMismatch, where, id + " is named " + file_class + " but labelled " + got);
    if (k < 0 && labels.size() < 2)
      add(AnomalyKind::kLabelMismatch, where, id + " is named MD (several diseases) but labelled " + got);
  }

  void read_metadata() {
    std::string path = (fs::path(ix_.dir) / "additional_metadata.csv").string();
    if (!fs::is_regular_file(path)) return;
    const std::string csv = "additional_metadata.csv";
    CsvTable t = read_csv(path);
    auto col = [&](const std::string& name) {
      for (int c = 0; c < static_cast<int>(t.header.size()); ++c)
        if (lower(t.header[c]) == lower(name)) return c;
      return -1;
    };
    int id_c = col("patient_id"), age_c = col("Age"), gender_c = col("Gender"), smoker_c = col("Smoker"),
        lives_c = col("Lives");
    if (id_c < 0) {
      add(AnomalyKind::kBadMetadata, csv + ":1", "no patient_id column: metadata ignored");
      return;
    }
    std::map<std::string, int> by_csv_id;
    for (size_t i = 0; i < ix_.patients.size(); ++i)
      if (!ix_.patients[i].csv_patient_id.empty()) by_csv_id[ix_.patients[i].csv_patient_id] = static_cast<int>(i);
    for (auto& [line, cells] : t.rows) {
      std::string where = csv + ":" + std::to_string(line);
      if (cells.size() != t.header.size()) {
        add(AnomalyKind::kBadMetadata, where, std::to_string(cells.size()) + " fields, header has " +
            std::to_string(t.header.size()) + ": skipped");
        continue;
      }
      auto it = by_csv_id.find(cells[id_c]);
      if (it == by_csv_id.end()) continue;  // metadata for a patient without recordings: harmless
      PatientMetadata m;
      try {
        if (age_c >= 0 && !cells[age_c].empty()) m.age_years = std::stoi(cells[age_c]);
        if (smoker_c >= 0 && !cells[smoker_c].empty()) m.smoker = std::stoi(cells[smoker_c]);
      } catch (const std::exception&) {
        add(AnomalyKind::kBadMetadata, where, "Age or Smoker is not a number: skipped");
        continue;
      }
      if (gender_c >= 0) m.gender = cells[gender_c];
      if (lives_c >= 0) m.lives = cells[lives_c];
      ix_.patients[it->second].metadata = m;
    }
  }

  void flag_durations() {
    if (ix_.recordings.empty()) return;
    std::vector<double> d;
    for (const auto& r : ix_.recordings) d.push_back(r.duration_s);
    std::sort(d.begin(), d.end());
    size_t n = d.size();
    double median = n % 2 ? d[n / 2] : 0.5 * (d[n / 2 - 1] + d[n / 2]);
    for (const auto& r : ix_.recordings) {
      if (std::abs(r.duration_s - median) > options_.unusual_duration_s) {
        std::ostringstream msg;
        msg << "lasts " << r.duration_s << " s, the data set's median is " << median << " s";
        add(AnomalyKind::kUnusualDuration, fs::relative(r.path, ix_.dir).generic_string(), msg.str());
      }
    }
  }

  void make_fingerprint(bool bmdhs) {
    std::string bytes;
    for (const auto& r : ix_.recordings) {
      bytes += fs::relative(r.path, ix_.dir).generic_string() + "\t" + std::to_string(r.size_bytes) + "\n";
      if (options_.hash_content) bytes += util::read_file(r.path);
    }
    if (bmdhs) {
      bytes += util::read_file(csv_path_);
      std::string meta = (fs::path(ix_.dir) / "additional_metadata.csv").string();
      if (fs::is_regular_file(meta)) bytes += util::read_file(meta);
    }
    ix_.fingerprint = util::fingerprint(bytes);
    ix_.fingerprint_method = options_.hash_content ? "content" : "names+sizes+csv";
  }

  IndexOptions options_;
  DatasetIndex ix_;
  std::string csv_path_;
  std::vector<AudioFile> files_;
  std::map<std::string, int> by_stem_;
  std::vector<CsvRow> rows_;
  std::map<std::string, int> patient_of_;
};

}  // namespace

DatasetIndex index_dataset(const std::string& dir, const IndexOptions& options) {
  return Indexer(dir, options).run();
}

Summary summarize(const std::vector<Recording>& recordings, const std::vector<Patient>& patients) {
  Summary s;
  s.n_recordings = static_cast<int>(recordings.size());
  s.n_patients = static_cast<int>(patients.size());
  s.single_label_recordings.assign(kNumClasses, 0);
  s.single_label_patients.assign(kNumClasses, 0);
  s.label_patients.assign(kNumClasses, 0);
  for (const auto& c : kFileClasses) s.recordings_per_file_class[c] = s.patients_per_file_class[c] = 0;
  std::vector<double> d;
  for (const auto& r : recordings) {
    ++s.recordings_per_file_class[r.file_class];
    ++s.positions[r.position];
    ++s.sites[r.site];
    ++s.sample_rates_hz[r.sample_rate_hz];
    ++s.channels[r.channels];
    if (r.label >= 0) {
      ++s.single_label_recordings[r.label];
      ++s.n_single_label_recordings;
    }
    d.push_back(r.duration_s);
    s.duration_total_s += r.duration_s;
  }
  for (const auto& p : patients) {
    if (p.recordings.empty()) continue;
    ++s.patients_per_file_class[p.id.substr(0, p.id.find('_'))];
    if (p.csv_patient_id.empty()) ++s.n_patients_without_row; else ++s.n_csv_rows;
    if (p.label >= 0) {
      ++s.single_label_patients[p.label];
      ++s.n_single_label_patients;
    }
    for (int l : p.labels) ++s.label_patients[l];
  }
  s.n_patients = s.n_csv_rows + s.n_patients_without_row;
  if (!d.empty()) {
    std::sort(d.begin(), d.end());
    size_t n = d.size();
    s.duration_min_s = d.front();
    s.duration_max_s = d.back();
    s.duration_median_s = n % 2 ? d[n / 2] : 0.5 * (d[n / 2 - 1] + d[n / 2]);
  }
  return s;
}

static nlohmann::json label_names(const std::vector<int>& labels) {
  nlohmann::json j = nlohmann::json::array();
  for (int l : labels) j.push_back(kClassNames[l]);
  return j;
}

void to_json(nlohmann::json& j, const Recording& r) {
  j = {{"path", r.path}, {"name", r.name}, {"stem", r.stem}, {"patient_id", r.patient_id},
       {"file_class", r.file_class}, {"position", r.position}, {"site", r.site},
       {"labels", label_names(r.labels)}, {"label", r.label >= 0 ? nlohmann::json(kClassNames[r.label]) : nlohmann::json()},
       {"duration_s", r.duration_s}, {"sample_rate_hz", r.sample_rate_hz}, {"channels", r.channels},
       {"frames", r.frames}, {"size_bytes", r.size_bytes}};
}

void to_json(nlohmann::json& j, const Patient& p) {
  j = {{"id", p.id}, {"csv_patient_id", p.csv_patient_id}, {"labels", label_names(p.labels)},
       {"label", p.label >= 0 ? nlohmann::json(kClassNames[p.label]) : nlohmann::json()},
       {"recordings", p.recordings}};
  if (p.metadata) {
    const auto& m = *p.metadata;
    j["metadata"] = {{"age_years", m.age_years}, {"gender", m.gender}, {"smoker", m.smoker}, {"lives", m.lives}};
  }
}

void to_json(nlohmann::json& j, const Anomaly& a) {
  j = {{"kind", anomaly_kind_name(a.kind)}, {"where", a.where}, {"message", a.message}};
}

void to_json(nlohmann::json& j, const Summary& s) {
  auto per_class = [](const std::vector<int>& v) {
    nlohmann::json o = nlohmann::json::object();
    for (int k = 0; k < kNumClasses && k < static_cast<int>(v.size()); ++k) o[kClassNames[k]] = v[k];
    return o;
  };
  auto keyed = [](const std::map<int, int>& m) {
    nlohmann::json o = nlohmann::json::object();
    for (auto [k, v] : m) o[std::to_string(k)] = v;
    return o;
  };
  j = {{"n_recordings", s.n_recordings},
       {"n_patients", s.n_patients},
       {"n_csv_rows", s.n_csv_rows},
       {"n_patients_without_row", s.n_patients_without_row},
       {"n_single_label_recordings", s.n_single_label_recordings},
       {"n_single_label_patients", s.n_single_label_patients},
       {"recordings_per_file_class", s.recordings_per_file_class},
       {"patients_per_file_class", s.patients_per_file_class},
       {"single_label_recordings", per_class(s.single_label_recordings)},
       {"single_label_patients", per_class(s.single_label_patients)},
       {"label_patients", per_class(s.label_patients)},
       {"positions", s.positions},
       {"sites", s.sites},
       {"sample_rates_hz", keyed(s.sample_rates_hz)},
       {"channels", keyed(s.channels)},
       {"duration_s", {{"min", s.duration_min_s}, {"median", s.duration_median_s}, {"max", s.duration_max_s},
                       {"total", s.duration_total_s}}}};
}

void to_json(nlohmann::json& j, const DatasetIndex& ix) {
  j = {{"dir", ix.dir}, {"layout", ix.layout}, {"fingerprint", ix.fingerprint},
       {"fingerprint_method", ix.fingerprint_method}, {"summary", ix.summary},
       {"anomalies", ix.anomalies}, {"patients", ix.patients}, {"recordings", ix.recordings}};
}

}  // namespace murmur::data
