// index_dataset: list the audio files, match them to train.csv rows, build recordings and
// patients, flag odd durations, fingerprint. CSV reading is in index_csv.cpp.
#include "data/index.h"

#include <sndfile.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <map>
#include <set>
#include <sstream>

#include "audio/audio.h"
#include "data/index_internal.h"
#include "util/csv.h"
#include "util/error.h"
#include "util/fs.h"

namespace murmur::data {

namespace fs = std::filesystem;
using detail::CsvRow;
using detail::one_of;

std::string detail::probe_audio(const std::string& path, SF_INFO& info) {
  info = SF_INFO{};
  SNDFILE* sf = sf_open(path.c_str(), SFM_READ, &info);
  if (!sf) return std::string("not readable as audio (") + sf_strerror(nullptr) + "): skipped";
  sf_close(sf);
  if (info.frames <= 0 || info.channels <= 0 || info.samplerate <= 0) return "header declares no audio frames: skipped";
  return "";
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

class Indexer {
 public:
  Indexer(const std::string& dir, const IndexOptions& options) : options_(options) { ix_.dir = dir; }

  DatasetIndex run() {
    const std::string& dir = ix_.dir;
    if (!fs::is_directory(dir)) throw Error(dir + ": not a folder (expected a BMD-HS copy or a folder of .wav files)");
    csv_path_ = (fs::path(dir) / "train.csv").string();
    bool bmdhs = fs::is_regular_file(csv_path_);
    if (!bmdhs && fs::is_directory(fs::path(dir) / "train"))
      throw Error(dir + ": has a train/ folder but no train.csv (a BMD-HS copy needs both: the labels of "
                        "multi-disease patients are only in train.csv)");
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
      if (e.is_regular_file() && audio::is_audio_path(e.path().string())) paths.push_back(e.path());
    std::sort(paths.begin(), paths.end());
    for (const auto& p : paths) {
      AudioFile f;
      f.path = p.string();
      f.rel = fs::relative(p, ix_.dir).generic_string();
      f.stem = p.stem().string();
      f.size_bytes = fs::file_size(p);
      if (std::string problem = detail::probe_audio(f.path, f.info); !problem.empty()) {
        add(AnomalyKind::kUnreadableAudio, f.rel, problem);
        continue;
      }
      by_stem_[f.stem] = static_cast<int>(files_.size());
      files_.push_back(std::move(f));
    }
  }

  void read_rows() { rows_ = detail::read_train_csv(csv_path_, ix_.anomalies); }

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
    r.source = ix_.layout;
    if (!labels.empty()) r.abnormal = r.murmur = labels != std::vector<int>{class_index("N")};
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
          add(AnomalyKind::kMalformedRow, where, "recording name '" + util::csv::printable(name) +
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

  void read_metadata() { detail::read_metadata(ix_.dir, ix_.patients, ix_.anomalies); }

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

// Each member indexed as it stands, then merged: recordings in member order, anomalies prefixed
// with the member's folder, a fingerprint over the members' fingerprints.
DatasetIndex index_collection(const std::string& dir, const std::vector<std::string>& members,
                              const IndexOptions& options) {
  DatasetIndex out;
  out.dir = dir;
  out.layout = "collection";
  std::string fingerprints;
  std::set<std::string> ids, stems;
  for (const auto& m : members) {
    DatasetIndex ix = index_dataset(m, options);
    const std::string name = fs::path(m).filename().string();
    for (auto& p : ix.patients) {
      if (!ids.insert(p.id).second)
        throw Error(m + ": patient " + p.id + " is also in another data set of " + dir + " (ids must be unique)");
      out.patients.push_back(std::move(p));  // its recording indices are made again below
    }
    for (auto& a : ix.anomalies) out.anomalies.push_back({a.kind, name + "/" + a.where, a.message});
    for (auto& r : ix.recordings) {
      if (!stems.insert(r.stem).second)  // predictions and caches name a recording by its stem
        out.anomalies.push_back({AnomalyKind::kDuplicate, name + "/" + r.stem,
                                 "a recording of another data set has the same name: kept, but name it apart"});
      out.recordings.push_back(std::move(r));
    }
    fingerprints += name + "\t" + ix.layout + "\t" + ix.fingerprint + "\n";
    out.fingerprint_method = ix.fingerprint_method;
  }
  out.fingerprint = util::fingerprint(fingerprints);
  // Sorted as every index is: recordings by stem, patients by id, then the patients' indices again.
  std::stable_sort(out.recordings.begin(), out.recordings.end(),
                   [](const Recording& a, const Recording& b) { return a.stem < b.stem; });
  std::sort(out.patients.begin(), out.patients.end(), [](const Patient& a, const Patient& b) { return a.id < b.id; });
  std::map<std::string, size_t> patient_of;
  for (size_t i = 0; i < out.patients.size(); ++i) patient_of[out.patients[i].id] = i, out.patients[i].recordings.clear();
  for (size_t i = 0; i < out.recordings.size(); ++i)
    out.patients[patient_of.at(out.recordings[i].patient_id)].recordings.push_back(static_cast<int>(i));
  out.summary = summarize(out.recordings, out.patients);
  return out;
}

}  // namespace

DatasetIndex index_dataset(const std::string& dir, const IndexOptions& options) {
  if (fs::is_directory(dir)) {
    if (auto layout = detail::table_layout(dir)) return detail::index_table(dir, *layout, options);
    if (auto members = detail::collection_members(dir); !members.empty()) return index_collection(dir, members, options);
  }
  return Indexer(dir, options).run();
}
}  // namespace murmur::data
