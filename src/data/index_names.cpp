// File-name parsing and the names of classes and anomaly kinds.
#include <algorithm>
#include <cctype>

#include "data/index.h"
#include "data/index_internal.h"

namespace murmur::data {

int class_index(const std::string& name) {
  auto it = std::find(kClassNames.begin(), kClassNames.end(), name);
  return it == kClassNames.end() ? -1 : static_cast<int>(it - kClassNames.begin());
}

bool detail::one_of(const std::string& s, const std::vector<std::string>& options) {
  return std::find(options.begin(), options.end(), s) != options.end();
}

std::string detail::lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
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

std::optional<RecordingName> parse_recording_name(const std::string& stem) {
  using detail::one_of;
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

}  // namespace murmur::data
