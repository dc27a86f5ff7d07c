// One recording of a data set: the class names, the CLASS_PID_POSITION_SITE file-name pattern,
// and what the index knows about a file (index.h builds these; most callers include that).
//
//   auto n = murmur::data::parse_recording_name("AS_005_sit_Aor");   // n->patient_id() == "AS_005"
//   if (r.is_single_label()) use(r.path, murmur::data::kClassNames[r.label]);
#pragma once

#include <cstdint>
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

int class_index(const std::string& name);  // "AS" -> 1; anything else (including "MD") -> -1

struct RecordingName {  // parts of a CLASS_PID_POSITION_SITE stem, e.g. "AS_005_sit_Aor"
  std::string file_class, pid, position, site;  // "AS", "005" (digits as written), "sit", "Aor"
  std::string patient_id() const { return file_class + "_" + pid; }  // "AS_005"
};
// nullopt unless `stem` (no extension) is exactly CLASS_PID_POSITION_SITE.
std::optional<RecordingName> parse_recording_name(const std::string& stem);

struct Recording {
  std::string path, name, stem;  // file; CSV name ("MD_085_sit_Tri", else the stem); "MD_085_sit_Tri6_06"
  std::string patient_id, file_class, position, site;  // "MD_085", N/AS/AR/MR/MS/MD, sit/sup, Aor/...
  std::vector<int> labels;       // sorted class indices; empty = unknown (MD without CSV row)
  int label = -1;                // the class index if exactly one label, else -1
  double duration_s = 0;
  int sample_rate_hz = 0, channels = 0;
  int64_t frames = 0;
  uint64_t size_bytes = 0;
  // Where it comes from and what its source knows of it (docs/formats.md, "Sources"). BMD-HS
  // recordings are "bmd-hs" (a plain folder: "folder"); any valve disease counts as abnormal and
  // as a murmur there. -1: the source does not say.
  std::string source = "bmd-hs";  // PhysioNet 2016's "training-a".."training-f", "pascal-b", a manifest's
  int abnormal = -1;              // 1 abnormal (a cardiac diagnosis), 0 normal
  int murmur = -1;                // 1 murmur, 0 no murmur
  bool noisy = false;             // marked noisy by its source
  std::string segmentation;       // heart-cycle annotation (TSV start_s, end_s, state), "" if none
  // The one rule for "usable as a single-class example": one label, and not an MD patient.
  bool is_single_label() const { return label >= 0 && file_class != "MD"; }
};

void to_json(nlohmann::json& j, const Recording& r);

}  // namespace murmur::data
