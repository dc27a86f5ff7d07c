// Data set index: which recordings a folder holds (BMD-HS with train.csv, a plain folder of
// CLASS_PID_POSITION_SITE.wav, PhysioNet 2016, PASCAL B, a manifest.csv, or a folder of several
// of these), whose they are, their source and labels, and what is odd about them. Reads only
// file headers, never samples. Layouts, anomaly kinds, fingerprint: docs/formats.md.
//
//   murmur::data::DatasetIndex ix = murmur::data::index_dataset("bmd-hs");
//   for (const auto& r : ix.recordings)
//     if (r.is_single_label()) use(r.path, murmur::data::kClassNames[r.label], r.patient_id);
//   for (const auto& a : ix.anomalies) std::cerr << a.where << ": " << a.message << "\n";
#pragma once

#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "data/recording.h"

namespace murmur::data {

struct PatientMetadata {  // additional_metadata.csv; -1 = missing; strings as written
  int age_years = -1;
  std::string gender;  // "M"/"F"
  int smoker = -1;     // 0/1
  std::string lives;   // "U" (urban) / "R" (rural)
};

struct Patient {
  std::string id, csv_patient_id;  // "AS_005"; "patient_005" ("" if the patient has no CSV row)
  std::vector<int> labels;         // sorted class indices; empty = unknown
  int label = -1;                  // the class index if exactly one label, else -1
  std::vector<int> recordings;     // indices into DatasetIndex::recordings
  std::optional<PatientMetadata> metadata;
};

enum class AnomalyKind { kNoCsvRow, kUnlistedFile, kNameMismatch, kMissingFile, kUnusualDuration, kMalformedRow,
                         kUnknownLabel, kDuplicate, kUnreadableAudio, kBadFileName, kLabelMismatch, kBadMetadata };
const char* anomaly_kind_name(AnomalyKind kind);  // "no_csv_row", ...: meanings in docs/formats.md
struct Anomaly {
  AnomalyKind kind;
  std::string where, message;  // where: "train.csv:23", "train/MD_085_sit_Tri6_06.wav" or "MD_022"
};

struct SourceSummary {  // one source's recordings (Recording::source) and the labels they carry
  int n_recordings = 0, n_patients = 0, n_valve_labelled = 0, n_normal = 0, n_abnormal = 0, n_murmur = 0,
      n_no_murmur = 0, n_annotated = 0, n_noisy = 0;
  std::map<int, int> sample_rates_hz;
  double duration_min_s = 0, duration_max_s = 0, duration_total_s = 0;
};

struct Summary {  // per-class vectors have kNumClasses entries; label_patients counts multi-label in each
  int n_recordings = 0, n_patients = 0, n_csv_rows = 0, n_patients_without_row = 0, n_single_label_recordings = 0,
      n_single_label_patients = 0;
  std::map<std::string, int> recordings_per_file_class, patients_per_file_class;  // N/AS/AR/MR/MS/MD
  std::vector<int> single_label_recordings, single_label_patients, label_patients;
  std::map<std::string, int> positions, sites;
  std::map<int, int> sample_rates_hz, channels;  // rate or channel count -> recordings
  double duration_min_s = 0, duration_median_s = 0, duration_max_s = 0, duration_total_s = 0;
  std::map<std::string, SourceSummary> sources;  // by source name
};

struct DatasetIndex {
  std::string dir, layout;  // "bmd-hs", "folder", "physionet2016", "pascal-b", "manifest" or "collection"
  std::vector<Recording> recordings;     // sorted by file stem
  std::vector<Patient> patients;         // sorted by id
  std::vector<Anomaly> anomalies;        // in the order found
  std::string fingerprint, fingerprint_method;  // names+sizes+csv (or "content"): docs/formats.md
  Summary summary;
  int patient_index(const std::string& id) const;  // -1 if absent
};

struct IndexOptions {
  bool hash_content = false;        // fingerprint the audio bytes too (reads every file: slower)
  double unusual_duration_s = 1.0;  // BMD-HS layouts: flag recordings further than this from the median
  double min_duration_s = 1.0;      // tabled sources: flag recordings shorter than this
};

// Throws murmur::Error if dir is missing or a table's header is unusable (train.csv without
// patient_id / recording_ columns, a REFERENCE.csv of neither known source, a manifest column
// murmur does not know).
DatasetIndex index_dataset(const std::string& dir, const IndexOptions& options = {});
Summary summarize(const std::vector<Recording>& recordings, const std::vector<Patient>& patients);

void to_json(nlohmann::json& j, const Patient& p);
void to_json(nlohmann::json& j, const Anomaly& a);
void to_json(nlohmann::json& j, const Summary& s);
void to_json(nlohmann::json& j, const DatasetIndex& ix);  // everything, recordings included

}  // namespace murmur::data
