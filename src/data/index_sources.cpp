// The data sets beyond BMD-HS (docs/formats.md, "Sources"): a table names every recording, its
// patient, its source and whichever labels it has. PhysioNet 2016 (REFERENCE.csv: record, subset,
// label, seconds, file, segmentation), PASCAL B (REFERENCE.csv: file, patient, label, noisy,
// seconds, rate), a user's manifest.csv (file, patient, source, and optional class, abnormal,
// murmur, segmentation), and a collection: a folder of such data sets, indexed together.
#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "data/index_internal.h"
#include "util/csv.h"
#include "util/error.h"
#include "util/fs.h"

namespace murmur::data::detail {

namespace fs = std::filesystem;

namespace {

struct TableRow {
  std::string where, file, patient, source, segmentation;
  std::vector<int> labels;
  int abnormal = -1, murmur = -1;
  bool noisy = false;
};

const std::vector<std::string> kPhysionetHeader = {"record", "subset", "label", "seconds", "file", "segmentation"};
const std::vector<std::string> kPascalHeader = {"file", "patient", "label", "noisy", "seconds", "rate"};
const std::vector<std::string> kManifestColumns = {"file", "patient", "source", "class", "abnormal", "murmur",
                                                   "segmentation"};

bool starts_with(const util::csv::Row& header, const std::vector<std::string>& want) {
  return header.size() >= want.size() && std::equal(want.begin(), want.end(), header.begin());
}

// "0"/"1"/"" -> 0/1/-1; anything else: nullopt.
std::optional<int> flag(const std::string& s) {
  if (s.empty()) return -1;
  if (s == "0" || s == "1") return s == "1";
  return std::nullopt;
}

class TableIndexer {
 public:
  TableIndexer(const std::string& dir, const std::string& layout, const IndexOptions& options)
      : options_(options) {
    ix_.dir = dir;
    ix_.layout = layout;
    table_ = (fs::path(dir) / (layout == "manifest" ? "manifest.csv" : "REFERENCE.csv")).string();
  }

  DatasetIndex run() {
    const util::csv::Table t = util::csv::parse(util::read_file(table_), table_);
    const std::string name = fs::path(table_).filename().string();
    for (size_t i = 0; i < t.rows.size(); ++i) {
      const std::string where = name + ":" + std::to_string(t.lines[i]);
      if (auto row = ix_.layout == "physionet2016" ? physionet(t.rows[i], where)
                     : ix_.layout == "pascal-b"    ? pascal(t.rows[i], where)
                                                   : manifest(t, t.rows[i], where))
        add_recording(*row);
    }
    std::sort(ix_.recordings.begin(), ix_.recordings.end(),
              [](const Recording& a, const Recording& b) { return a.stem < b.stem; });
    std::map<std::string, size_t> patient_of;
    for (size_t i = 0; i < ix_.recordings.size(); ++i) {
      const Recording& r = ix_.recordings[i];
      auto [it, fresh] = patient_of.emplace(r.patient_id, ix_.patients.size());
      if (fresh) ix_.patients.push_back({r.patient_id, "", r.labels, r.label, {}, std::nullopt});
      Patient& p = ix_.patients[it->second];
      if (!fresh && r.labels != p.labels)  // one person, one diagnosis: the first recording's is kept
        add(AnomalyKind::kLabelMismatch, r.stem, "valve labels differ from those of " + r.patient_id +
            "'s other recordings: the patient keeps the first recording's");
      p.recordings.push_back(static_cast<int>(i));
    }
    std::sort(ix_.patients.begin(), ix_.patients.end(), [](const Patient& a, const Patient& b) { return a.id < b.id; });
    fingerprint_bytes_ += util::read_file(table_);
    ix_.fingerprint = util::fingerprint(fingerprint_bytes_);
    ix_.fingerprint_method = options_.hash_content ? "content" : "names+sizes+csv";
    ix_.summary = summarize(ix_.recordings, ix_.patients);
    return std::move(ix_);
  }

 private:
  void add(AnomalyKind kind, const std::string& where, const std::string& message) {
    ix_.anomalies.push_back({kind, where, message});
  }

  std::optional<TableRow> physionet(const util::csv::Row& f, const std::string& where) {
    TableRow r{where, f[4], f[0], f[1], f[5], {}, -1, -1, false};
    if (f[2] == "normal" || f[2] == "abnormal") r.abnormal = f[2] == "abnormal";
    else if (!f[2].empty()) return unknown(where, "label '" + util::csv::printable(f[2]) + "' (normal / abnormal)");
    return r;
  }

  std::optional<TableRow> pascal(const util::csv::Row& f, const std::string& where) {
    TableRow r{where, f[0], "pascal-b-" + f[1], "pascal-b", "", {}, -1, -1, f[3] == "1"};
    // An extrasystole is a rhythm finding, not the 2016 challenge's "confirmed cardiac diagnosis":
    // no murmur, abnormality not said.
    if (f[2] == "normal") r.abnormal = 0, r.murmur = 0;
    else if (f[2] == "murmur") r.abnormal = 1, r.murmur = 1;
    else if (f[2] == "extrastole") r.murmur = 0;
    else if (!f[2].empty()) return unknown(where, "label '" + util::csv::printable(f[2]) + "' (normal / murmur / extrastole)");
    if (f[1].empty()) return malformed(where, "no patient");
    return r;
  }

  std::optional<TableRow> manifest(const util::csv::Table& t, const util::csv::Row& f, const std::string& where) {
    auto cell = [&](const char* c) { int k = t.column(c); return k < 0 ? std::string() : f[size_t(k)]; };
    TableRow r{where, cell("file"), cell("patient"), cell("source"), cell("segmentation"), {}, -1, -1, false};
    if (r.file.empty() || r.patient.empty() || r.source.empty()) return malformed(where, "file, patient and source must not be empty");
    const auto abnormal = flag(cell("abnormal")), murmur = flag(cell("murmur"));
    if (!abnormal || !murmur) return unknown(where, "abnormal and murmur must be 0, 1 or empty");
    r.abnormal = *abnormal, r.murmur = *murmur;
    const std::string cls = cell("class");
    if (!cls.empty()) {
      size_t start = 0;
      while (start <= cls.size()) {
        size_t plus = std::min(cls.find('+', start), cls.size());
        const int k = class_index(cls.substr(start, plus - start));
        if (k < 0) return unknown(where, "class '" + util::csv::printable(cls) + "' (N, AR, AS, MR, MS or a '+'-joined set)");
        if (cls != "N" && k == class_index("N")) return unknown(where, "class '" + util::csv::printable(cls) + "': N stands alone");
        r.labels.push_back(k);
        start = plus + 1;
      }
      std::sort(r.labels.begin(), r.labels.end());
      r.labels.erase(std::unique(r.labels.begin(), r.labels.end()), r.labels.end());
      const bool normal = r.labels == std::vector<int>{class_index("N")};
      if (r.abnormal < 0) r.abnormal = !normal;
      if (r.murmur < 0) r.murmur = !normal;
      if (normal && r.labels.size() == 1 && r.abnormal == 1)
        return unknown(where, "class N but abnormal 1");
    }
    return r;
  }

  std::optional<TableRow> unknown(const std::string& where, const std::string& what) {
    add(AnomalyKind::kUnknownLabel, where, "unknown " + what + ": recording skipped");
    return std::nullopt;
  }
  std::optional<TableRow> malformed(const std::string& where, const std::string& what) {
    add(AnomalyKind::kMalformedRow, where, what + ": recording skipped");
    return std::nullopt;
  }

  void add_recording(const TableRow& row) {
    const fs::path path = fs::path(ix_.dir) / row.file;
    if (!seen_.insert(fs::path(row.file).lexically_normal().generic_string()).second)
      return add(AnomalyKind::kDuplicate, row.where, row.file + " is listed twice: repeat skipped");
    std::error_code no_file;  // a name the file system refuses (too long, say) is a missing file too
    if (!fs::is_regular_file(path, no_file)) return add(AnomalyKind::kMissingFile, row.where, row.file + ": no such file: skipped");
    SF_INFO info;
    if (std::string problem = probe_audio(path.string(), info); !problem.empty())
      return add(AnomalyKind::kUnreadableAudio, row.file, problem);
    Recording r;
    r.path = path.string();
    r.stem = path.stem().string();
    r.name = r.stem;
    r.patient_id = row.patient;
    r.source = row.source;
    r.labels = row.labels;
    r.label = r.labels.size() == 1 ? r.labels[0] : -1;
    r.abnormal = row.abnormal, r.murmur = row.murmur, r.noisy = row.noisy;
    r.sample_rate_hz = info.samplerate, r.channels = info.channels, r.frames = info.frames;
    r.duration_s = static_cast<double>(info.frames) / info.samplerate;
    std::error_code ec;
    r.size_bytes = fs::file_size(path, ec);
    if (ec) return add(AnomalyKind::kUnreadableAudio, row.file, "size unknown (" + ec.message() + "): skipped");
    if (!row.segmentation.empty()) {
      const fs::path seg = fs::path(ix_.dir) / row.segmentation;
      std::error_code no_seg;
      if (fs::is_regular_file(seg, no_seg)) r.segmentation = seg.string();
      else add(AnomalyKind::kMissingFile, row.where, row.segmentation + ": no such annotation: recording kept without it");
    }
    if (r.duration_s < options_.min_duration_s)
      add(AnomalyKind::kUnusualDuration, row.file, "lasts " + std::to_string(r.duration_s).substr(0, 5) +
          " s, under the " + std::to_string(options_.min_duration_s).substr(0, 3) + " s a recording needs to be used");
    fingerprint_bytes_ += row.file + "\t" + std::to_string(r.size_bytes) + "\n";
    if (options_.hash_content) fingerprint_bytes_ += util::read_file(r.path);
    ix_.recordings.push_back(std::move(r));
  }

  IndexOptions options_;
  DatasetIndex ix_;
  std::string table_, fingerprint_bytes_;
  std::set<std::string> seen_;
};

}  // namespace

std::optional<std::string> table_layout(const std::string& dir) {
  if (fs::is_regular_file(fs::path(dir) / "manifest.csv")) {
    const std::string path = (fs::path(dir) / "manifest.csv").string();
    const util::csv::Table t = util::csv::parse(util::read_file(path), path);
    for (const char* c : {"file", "patient", "source"})
      if (t.column(c) < 0) throw Error(path + ": no '" + std::string(c) + "' column (a manifest needs file, patient, source)");
    for (const auto& c : t.header)
      if (!one_of(c, kManifestColumns))
        throw Error(path + ": unknown column '" + util::csv::printable(c) +
                    "' (known: file, patient, source, class, abnormal, murmur, segmentation)");
    return "manifest";
  }
  const fs::path ref = fs::path(dir) / "REFERENCE.csv";
  if (!fs::is_regular_file(ref)) return std::nullopt;
  const util::csv::Table t = util::csv::parse(util::read_file(ref.string()), ref.string());
  if (starts_with(t.header, kPhysionetHeader)) return "physionet2016";
  if (starts_with(t.header, kPascalHeader)) return "pascal-b";
  throw Error(ref.string() + ": header is neither PhysioNet 2016's (record,subset,label,seconds,file,segmentation) "
              "nor PASCAL B's (file,patient,label,noisy,seconds,rate)");
}

DatasetIndex index_table(const std::string& dir, const std::string& layout, const IndexOptions& options) {
  return TableIndexer(dir, layout, options).run();
}

bool is_data_set(const fs::path& dir) {
  for (const char* f : {"train.csv", "REFERENCE.csv", "manifest.csv"})
    if (fs::is_regular_file(dir / f)) return true;
  return false;
}

std::vector<std::string> collection_members(const std::string& dir) {
  std::vector<std::string> out;
  try {
    if (is_data_set(dir)) return out;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_directory() && is_data_set(e.path())) out.push_back(e.path().string());
  } catch (const fs::filesystem_error& e) {
    throw Error(dir + ": cannot list the folder (" + e.code().message() + ")");
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace murmur::data::detail
