// Data set index: which recordings a folder holds, whose they are, what their labels are, and
// what is odd about them. Reads only file headers (libsndfile sf_open), never samples, so
// indexing BMD-HS's 872 files takes a fraction of a second.
//
//   murmur::data::DatasetIndex ix = murmur::data::index_dataset("bmd-hs");
//   for (const auto& r : ix.recordings)
//     if (r.label >= 0) use(r.path, murmur::data::kClassNames[r.label], r.patient_id);
//   for (const auto& a : ix.anomalies) std::cerr << a.where << ": " << a.message << "\n";
//
// Two layouts are read:
//   (a) BMD-HS: DIR/train.csv (patient_id,AS,AR,MR,MS,N,recording_1..8, columns found by header
//       name), DIR/train/*.wav, optional DIR/additional_metadata.csv (patient_id,Age,Gender,
//       Smoker,Lives). Labels come from the CSV.
//   (b) a plain folder of CLASS_PID_POSITION_SITE.wav (CLASS in N/AS/AR/MR/MS/MD, POSITION sit/sup,
//       SITE Aor/Mit/Pul/Tri). Labels come from the name; MD (multiple diseases) -> labels unknown.
//
// Patient identity is CLASS_PID from the file name ("AS_005", "MD_022"): splits group by it.
// Nothing odd is hidden: every problem becomes an Anomaly and the offending row or file is
// skipped (bad rows, unreadable audio, bad names) or kept and flagged (unusual length, renamed
// file, no CSV row). Only an unusable folder or CSV header throws murmur::Error.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

namespace murmur::data {

// The reference's label_to_idx: class index i is kClassNames[i] everywhere in murmur.
inline const std::vector<std::string> kClassNames{"AR", "AS", "MR", "MS", "N"};
inline constexpr int kNumClasses = 5;
// File-name prefixes: the five classes plus MD (patient with more than one valve disease).
inline const std::vector<std::string> kFileClasses{"N", "AS", "AR", "MR", "MS", "MD"};
inline const std::vector<std::string> kPositions{"sit", "sup"};
inline const std::vector<std::string> kSites{"Aor", "Mit", "Pul", "Tri"};

// "AS" -> 1; anything that is not one of kClassNames (including "MD") -> -1.
int class_index(const std::string& name);

// Parts of a CLASS_PID_POSITION_SITE stem, e.g. "AS_005_sit_Aor".
struct RecordingName {
  std::string file_class;  // N/AS/AR/MR/MS/MD
  std::string pid;         // "005" (digits, kept as written)
  std::string position;    // sit/sup
  std::string site;        // Aor/Mit/Pul/Tri
  std::string patient_id() const { return file_class + "_" + pid; }  // "AS_005"
};

// nullopt unless `stem` (no extension) is exactly CLASS_PID_POSITION_SITE.
std::optional<RecordingName> parse_recording_name(const std::string& stem);

struct Recording {
  std::string path;          // the audio file
  std::string name;          // CSV name ("MD_085_sit_Tri"); the stem when there is no CSV row
  std::string stem;          // file name without extension ("MD_085_sit_Tri6_06")
  std::string patient_id;    // "MD_085"
  std::string file_class;    // N/AS/AR/MR/MS/MD
  std::string position;      // sit/sup
  std::string site;          // Aor/Mit/Pul/Tri
  std::vector<int> labels;   // sorted class indices; empty = unknown (MD without CSV row)
  int label = -1;            // the class index if exactly one label, else -1
  double duration_s = 0;
  int sample_rate_hz = 0;
  int channels = 0;
  int64_t frames = 0;
  uint64_t size_bytes = 0;
};

struct PatientMetadata {
  int age_years = -1;        // -1 = missing
  std::string gender;        // "M"/"F" as written
  int smoker = -1;           // 0/1, -1 = missing
  std::string lives;         // "U" (urban) / "R" (rural) as written
};

struct Patient {
  std::string id;                          // "AS_005"
  std::string csv_patient_id;              // "patient_005"; "" if the patient has no CSV row
  std::vector<int> labels;                 // sorted class indices; empty = unknown
  int label = -1;                          // the class index if exactly one label, else -1
  std::vector<int> recordings;             // indices into DatasetIndex::recordings
  std::optional<PatientMetadata> metadata;
};

enum class AnomalyKind {
  kNoCsvRow,          // a patient's recordings have no row in train.csv (labels unknown)
  kUnlistedFile,      // a file of a patient that has a row, but the row does not list it
  kNameMismatch,      // CSV name resolved to a differently named file (unique prefix match)
  kMissingFile,       // CSV names a recording that no file matches
  kUnusualDuration,   // duration differs from the data set's median by more than 1 s
  kMalformedRow,      // wrong column count, flag not 0/1, empty patient id: row skipped
  kUnknownLabel,      // label column not among kClassNames, or a row with no label set
  kDuplicate,         // a patient or recording listed twice: the repeat is skipped
  kUnreadableAudio,   // libsndfile cannot open it, or it has no frames: skipped
  kBadFileName,       // audio file whose name is not CLASS_PID_POSITION_SITE: skipped
  kLabelMismatch,     // CSV labels contradict the file-name class (e.g. N_ file labelled AS)
  kBadMetadata,       // malformed additional_metadata.csv line: metadata for it skipped
};
const char* anomaly_kind_name(AnomalyKind kind);   // "no_csv_row", "name_mismatch", ...

struct Anomaly {
  AnomalyKind kind;
  std::string where;     // "train.csv:23", "train/MD_085_sit_Tri6_06.wav", or "MD_022"
  std::string message;
};

struct Summary {
  int n_recordings = 0;
  int n_patients = 0;
  int n_csv_rows = 0;                       // patients with a valid CSV row
  int n_patients_without_row = 0;
  int n_single_label_recordings = 0;
  int n_single_label_patients = 0;
  std::map<std::string, int> recordings_per_file_class;   // N/AS/AR/MR/MS/MD
  std::map<std::string, int> patients_per_file_class;
  std::vector<int> single_label_recordings;               // [kNumClasses]
  std::vector<int> single_label_patients;                 // [kNumClasses]
  std::vector<int> label_patients;                        // [kNumClasses], multi-label counted in each
  std::map<std::string, int> positions, sites;
  std::map<int, int> sample_rates_hz;                     // rate -> recordings
  std::map<int, int> channels;                            // channel count -> recordings
  double duration_min_s = 0, duration_median_s = 0, duration_max_s = 0, duration_total_s = 0;
};

struct DatasetIndex {
  std::string dir;
  std::string layout;                       // "bmd-hs" or "folder"
  std::vector<Recording> recordings;        // sorted by file stem
  std::vector<Patient> patients;            // sorted by id
  std::vector<Anomaly> anomalies;           // in the order found
  // FNV-1a 64 (util::fingerprint) over, for every indexed audio file in stem order,
  // "relative/path\tsize_bytes\n", followed by the bytes of train.csv and additional_metadata.csv.
  // Names + sizes + CSV content, not mtimes: a copy of the same data gets the same fingerprint;
  // an in-place edit that keeps every file's size goes unnoticed (see IndexOptions::hash_content).
  std::string fingerprint;
  std::string fingerprint_method;           // "names+sizes+csv" or "content"
  Summary summary;

  int patient_index(const std::string& id) const;   // -1 if absent
};

struct IndexOptions {
  bool hash_content = false;        // fingerprint the audio bytes too (reads every file: slower)
  double unusual_duration_s = 1.0;  // flag recordings further than this from the median
};

// Throws murmur::Error if dir is missing or train.csv's header lacks patient_id / recording_ columns.
DatasetIndex index_dataset(const std::string& dir, const IndexOptions& options = {});

Summary summarize(const std::vector<Recording>& recordings, const std::vector<Patient>& patients);

void to_json(nlohmann::json& j, const Recording& r);
void to_json(nlohmann::json& j, const Patient& p);
void to_json(nlohmann::json& j, const Anomaly& a);
void to_json(nlohmann::json& j, const Summary& s);
void to_json(nlohmann::json& j, const DatasetIndex& ix);   // everything, recordings included

}  // namespace murmur::data
