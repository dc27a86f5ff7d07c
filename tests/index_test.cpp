// murmur::data::index_dataset on the real BMD-HS copy (counts and its three known quirks) and on
// small folders built here, one problem each: malformed CSV, unknown label, missing file,
// corrupt wav, bad name, unusual length.
#include "data/index.h"

#include <sndfile.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "test_util.h"
#include "util/error.h"

namespace fs = std::filesystem;
using murmur::data::AnomalyKind;
using murmur::data::DatasetIndex;

namespace {

void write_wav(const std::string& path, double duration_s, int rate_hz = 4000) {
  SF_INFO info{};
  info.samplerate = rate_hz;
  info.channels = 1;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  SNDFILE* sf = sf_open(path.c_str(), SFM_WRITE, &info);
  ASSERT_NE(sf, nullptr) << path;
  std::vector<short> pcm(static_cast<size_t>(std::lround(duration_s * rate_hz)));
  for (size_t i = 0; i < pcm.size(); ++i) pcm[i] = static_cast<short>(1000 * std::sin(0.1 * i));
  sf_write_short(sf, pcm.data(), static_cast<sf_count_t>(pcm.size()));
  sf_close(sf);
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

const std::string kHeader =
    "patient_id,AS,AR,MR,MS,N,recording_1,recording_2,recording_3,recording_4,recording_5,recording_6,"
    "recording_7,recording_8\n";

// One CSV row in BMD-HS's form for CLASS_PID with the given 0/1 flags "AS,AR,MR,MS,N".
std::string row(const std::string& pid_number, const std::string& cls, const std::string& flags) {
  std::string id = cls + "_" + pid_number, r = "patient_" + pid_number + "," + flags;
  for (const char* pos : {"sup", "sit"})
    for (const char* site : {"Mit", "Tri", "Pul", "Aor"}) r += "," + id + "_" + pos + "_" + site;
  return r + "\n";
}

void write_patient_files(const std::string& dir, const std::string& id, double duration_s = 2.0) {
  for (const char* pos : {"sup", "sit"})
    for (const char* site : {"Mit", "Tri", "Pul", "Aor"})
      write_wav(dir + "/" + id + "_" + pos + "_" + site + ".wav", duration_s);
}

std::vector<murmur::data::Anomaly> of_kind(const DatasetIndex& ix, AnomalyKind kind) {
  std::vector<murmur::data::Anomaly> out;
  for (const auto& a : ix.anomalies)
    if (a.kind == kind) out.push_back(a);
  return out;
}

std::string describe(const DatasetIndex& ix) {
  std::string s;
  for (const auto& a : ix.anomalies)
    s += std::string(murmur::data::anomaly_kind_name(a.kind)) + " " + a.where + ": " + a.message + "\n";
  return s;
}

// A small valid BMD-HS folder: N_001, AS_002 (rows) and their 16 files, 2 s each.
std::string make_small_bmdhs(const std::string& name, const std::string& extra_rows = "") {
  std::string dir = murmur::test::temp_dir(name);
  fs::create_directories(dir + "/train");
  write_text(dir + "/train.csv", kHeader + row("001", "N", "0,0,0,0,1") + row("002", "AS", "1,0,0,0,0") + extra_rows);
  write_patient_files(dir + "/train", "N_001");
  write_patient_files(dir + "/train", "AS_002");
  return dir;
}

}  // namespace

TEST(Index, ClassOrderIsTheReferencesLabelToIdx) {
  ASSERT_EQ(murmur::data::kClassNames, (std::vector<std::string>{"AR", "AS", "MR", "MS", "N"}));
  EXPECT_EQ(murmur::data::class_index("AR"), 0);
  EXPECT_EQ(murmur::data::class_index("N"), 4);
  EXPECT_EQ(murmur::data::class_index("MD"), -1);
  EXPECT_EQ(murmur::data::class_index("as"), -1);
}

TEST(Index, ParseRecordingNameAcceptsOnlyThePattern) {
  auto n = murmur::data::parse_recording_name("MD_022_sup_Tri");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->patient_id(), "MD_022");
  EXPECT_EQ(n->position, "sup");
  EXPECT_EQ(n->site, "Tri");
  for (const char* bad : {"MD_085_sit_Tri6_06", "XX_001_sit_Aor", "AS_00a_sit_Aor", "AS__sit_Aor",
                          "AS_001_lie_Aor", "AS_001_sit_aor", "AS_001_sit", "AS_001_sit_Aor_"})
    EXPECT_FALSE(murmur::data::parse_recording_name(bad)) << bad;
}

TEST(Index, RealBmdhsCounts) {
  MURMUR_REQUIRE_BMDHS();
  DatasetIndex ix = murmur::data::index_dataset(murmur::test::bmdhs_dir());
  const auto& s = ix.summary;
  EXPECT_EQ(ix.layout, "bmd-hs");
  EXPECT_EQ(s.n_recordings, 872);
  EXPECT_EQ(s.n_csv_rows, 108);
  EXPECT_EQ(s.n_patients_without_row, 1);
  EXPECT_EQ(s.n_patients, 109);
  EXPECT_EQ(s.n_single_label_recordings, 464);
  EXPECT_EQ(s.n_single_label_patients, 58);
  // Patients with a single label, in kClassNames order AR, AS, MR, MS, N.
  EXPECT_EQ(s.single_label_patients, (std::vector<int>{7, 8, 11, 11, 21}));
  EXPECT_EQ(s.single_label_recordings, (std::vector<int>{56, 64, 88, 88, 168}));
  EXPECT_EQ(s.recordings_per_file_class.at("MD"), 408);
  EXPECT_EQ(s.patients_per_file_class.at("MD"), 51);
  EXPECT_EQ(s.positions.at("sit"), 436);
  EXPECT_EQ(s.positions.at("sup"), 436);
  for (const auto& site : murmur::data::kSites) EXPECT_EQ(s.sites.at(site), 218) << site;
  EXPECT_EQ(s.sample_rates_hz.at(4000), 872);
  EXPECT_EQ(s.channels.at(1), 872);
  EXPECT_DOUBLE_EQ(s.duration_median_s, 20.0);
  // Every single-label recording's label equals its file-name class.
  for (const auto& r : ix.recordings)
    if (r.label >= 0) {
      EXPECT_EQ(murmur::data::kClassNames[r.label], r.file_class) << r.stem;
    }
  int with_metadata = 0;
  for (const auto& p : ix.patients) with_metadata += p.metadata.has_value();
  EXPECT_EQ(with_metadata, 108);  // every patient with a row; MD_022 has none
  EXPECT_EQ(ix.fingerprint.size(), 16u);
}

TEST(Index, RealBmdhsQuirksAreReportedNotHidden) {
  MURMUR_REQUIRE_BMDHS();
  DatasetIndex ix = murmur::data::index_dataset(murmur::test::bmdhs_dir());
  ASSERT_EQ(ix.anomalies.size(), 3u) << describe(ix);

  auto renamed = of_kind(ix, AnomalyKind::kNameMismatch);
  ASSERT_EQ(renamed.size(), 1u);
  EXPECT_EQ(renamed[0].where, "train/MD_085_sit_Tri6_06.wav");
  const auto& r = *std::find_if(ix.recordings.begin(), ix.recordings.end(),
                                [](const auto& r) { return r.stem == "MD_085_sit_Tri6_06"; });
  EXPECT_EQ(r.name, "MD_085_sit_Tri");
  EXPECT_EQ(r.patient_id, "MD_085");
  EXPECT_EQ(r.site, "Tri");
  EXPECT_EQ(r.labels, (std::vector<int>{2, 3}));  // MR + MS per train.csv
  EXPECT_EQ(r.label, -1);

  auto no_row = of_kind(ix, AnomalyKind::kNoCsvRow);
  ASSERT_EQ(no_row.size(), 1u);
  EXPECT_EQ(no_row[0].where, "MD_022");
  int p = ix.patient_index("MD_022");
  ASSERT_GE(p, 0);
  EXPECT_EQ(ix.patients[p].recordings.size(), 8u);
  EXPECT_TRUE(ix.patients[p].labels.empty());
  EXPECT_TRUE(ix.patients[p].csv_patient_id.empty());

  auto odd_length = of_kind(ix, AnomalyKind::kUnusualDuration);
  ASSERT_EQ(odd_length.size(), 1u);
  EXPECT_EQ(odd_length[0].where, "train/MD_001_sup_Tri.wav");
}

TEST(Index, ValidSmallFolderHasNoAnomalies) {
  std::string dir = make_small_bmdhs("index_valid");
  write_text(dir + "/additional_metadata.csv", "patient_id,Age,Gender,Smoker,Lives\npatient_001,35,M,1,U\n");
  DatasetIndex ix = murmur::data::index_dataset(dir);
  EXPECT_TRUE(ix.anomalies.empty()) << describe(ix);
  EXPECT_EQ(ix.summary.n_recordings, 16);
  ASSERT_EQ(ix.patients.size(), 2u);
  EXPECT_EQ(ix.patients[0].id, "AS_002");
  EXPECT_EQ(ix.patients[0].label, 1);
  EXPECT_FALSE(ix.patients[0].metadata);
  EXPECT_EQ(ix.patients[1].csv_patient_id, "patient_001");
  ASSERT_TRUE(ix.patients[1].metadata);
  EXPECT_EQ(ix.patients[1].metadata->age_years, 35);
  EXPECT_EQ(ix.patients[1].metadata->smoker, 1);
  EXPECT_EQ(ix.recordings[0].frames, 8000);
  EXPECT_DOUBLE_EQ(ix.recordings[0].duration_s, 2.0);
}

TEST(Index, MalformedRowsAreReportedWithLineAndSkipped) {
  std::string bad_rows = "patient_003,1,0,0\n"                                // line 4: too few fields
                         + row("004", "MR", "0,0,2,0,0")                      // line 5: flag 2
                         + row("005", "MS", "0,0,0,0,0");                     // line 6: no label set
  std::string dir = make_small_bmdhs("index_malformed", bad_rows);
  write_patient_files(dir + "/train", "MR_004");
  DatasetIndex ix = murmur::data::index_dataset(dir);
  auto malformed = of_kind(ix, AnomalyKind::kMalformedRow);
  ASSERT_EQ(malformed.size(), 2u) << describe(ix);
  EXPECT_EQ(malformed[0].where, "train.csv:4");
  EXPECT_NE(malformed[0].message.find("4 fields, header has 14"), std::string::npos) << malformed[0].message;
  EXPECT_EQ(malformed[1].where, "train.csv:5");
  EXPECT_NE(malformed[1].message.find("'2'"), std::string::npos) << malformed[1].message;
  auto unknown = of_kind(ix, AnomalyKind::kUnknownLabel);
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_EQ(unknown[0].where, "train.csv:6");
  // MR_004's row was skipped: its files stand without a row, labelled from their name.
  auto no_row = of_kind(ix, AnomalyKind::kNoCsvRow);
  ASSERT_EQ(no_row.size(), 1u);
  EXPECT_EQ(no_row[0].where, "MR_004");
  EXPECT_EQ(ix.patients[ix.patient_index("MR_004")].label, 2);
  // MS_005's files are all missing: eight missing_file anomalies.
  EXPECT_EQ(of_kind(ix, AnomalyKind::kMissingFile).size(), 8u);
  EXPECT_EQ(ix.summary.n_recordings, 24);
}

TEST(Index, UnknownLabelColumnIsIgnoredAndReported) {
  std::string dir = murmur::test::temp_dir("index_unknown_label");
  fs::create_directories(dir + "/train");
  std::string header = "patient_id,AS,XX,AR,MR,MS,N,recording_1\n";
  write_text(dir + "/train.csv", header + "patient_001,0,1,0,0,0,1,N_001_sit_Aor\n");
  write_wav(dir + "/train/N_001_sit_Aor.wav", 2.0);
  DatasetIndex ix = murmur::data::index_dataset(dir);
  auto unknown = of_kind(ix, AnomalyKind::kUnknownLabel);
  ASSERT_EQ(unknown.size(), 1u) << describe(ix);
  EXPECT_EQ(unknown[0].where, "train.csv:1");
  EXPECT_NE(unknown[0].message.find("'XX'"), std::string::npos);
  ASSERT_EQ(ix.recordings.size(), 1u);
  EXPECT_EQ(ix.recordings[0].label, 4);
}

TEST(Index, MissingFileCorruptWavAndBadNames) {
  std::string dir = make_small_bmdhs("index_files");
  fs::remove(dir + "/train/AS_002_sit_Pul.wav");                       // CSV row without file
  write_text(dir + "/train/N_001_sit_Aor.wav", "RIFF not really a wav");  // corrupt
  write_text(dir + "/train/N_001_sup_Aor.wav", "");                       // empty
  write_wav(dir + "/train/notes.wav", 2.0);                             // bad names
  write_wav(dir + "/train/XX_003_sit_Aor.wav", 2.0);
  write_wav(dir + "/train/AS_003_sit_Elbow.wav", 2.0);
  write_text(dir + "/train/readme.txt", "not audio, ignored");
  DatasetIndex ix = murmur::data::index_dataset(dir);
  auto missing = of_kind(ix, AnomalyKind::kMissingFile);
  ASSERT_EQ(missing.size(), 3u) << describe(ix);  // AS_002_sit_Pul plus the two unreadable files
  EXPECT_EQ(missing[0].where, "N_001_sup_Aor");
  auto unreadable = of_kind(ix, AnomalyKind::kUnreadableAudio);
  ASSERT_EQ(unreadable.size(), 2u);
  EXPECT_EQ(unreadable[0].where, "train/N_001_sit_Aor.wav");
  EXPECT_EQ(of_kind(ix, AnomalyKind::kBadFileName).size(), 3u);
  EXPECT_EQ(ix.summary.n_recordings, 13);
}

TEST(Index, UnusualDurationBoundary) {
  std::string dir = make_small_bmdhs("index_duration");
  write_wav(dir + "/train/N_001_sit_Aor.wav", 2.9);   // 0.9 s from the median: fine
  write_wav(dir + "/train/N_001_sit_Mit.wav", 3.1);   // 1.1 s: flagged
  DatasetIndex ix = murmur::data::index_dataset(dir);
  auto odd = of_kind(ix, AnomalyKind::kUnusualDuration);
  ASSERT_EQ(odd.size(), 1u) << describe(ix);
  EXPECT_EQ(odd[0].where, "train/N_001_sit_Mit.wav");
}

TEST(Index, PlainFolderTakesLabelsFromNames) {
  std::string dir = murmur::test::temp_dir("index_folder");
  write_patient_files(dir, "MS_007");
  write_patient_files(dir, "MD_008");
  DatasetIndex ix = murmur::data::index_dataset(dir);
  EXPECT_EQ(ix.layout, "folder");
  EXPECT_TRUE(ix.anomalies.empty()) << describe(ix);
  ASSERT_EQ(ix.patients.size(), 2u);
  EXPECT_EQ(ix.patients[0].id, "MD_008");
  EXPECT_TRUE(ix.patients[0].labels.empty());
  EXPECT_EQ(ix.patients[1].label, 3);
  EXPECT_EQ(ix.summary.n_single_label_recordings, 8);
}

TEST(Index, FingerprintFollowsNamesSizesAndCsvNotMtimes) {
  std::string dir = make_small_bmdhs("index_fingerprint");
  std::string a = murmur::data::index_dataset(dir).fingerprint;
  fs::last_write_time(dir + "/train/N_001_sit_Aor.wav", fs::file_time_type::clock::now() - std::chrono::hours(5));
  EXPECT_EQ(murmur::data::index_dataset(dir).fingerprint, a);
  write_wav(dir + "/train/N_001_sit_Aor.wav", 2.5);
  std::string b = murmur::data::index_dataset(dir).fingerprint;
  EXPECT_NE(b, a);
  murmur::data::IndexOptions content;
  content.hash_content = true;
  auto ix = murmur::data::index_dataset(dir, content);
  EXPECT_EQ(ix.fingerprint_method, "content");
  EXPECT_NE(ix.fingerprint, b);
}

TEST(Index, CsvWithCrOnlyOrCrlfLineEndingsAndQuotesIsRead) {
  for (const std::string eol : {"\r", "\r\n"}) {
    std::string dir = murmur::test::temp_dir(eol == "\r" ? "index_cr" : "index_crlf");
    fs::create_directories(dir + "/train");
    std::string csv = "patient_id,AS,AR,MR,MS,N,recording_1,recording_2" + eol +
                      "\"patient_009\",0,0,1,1,0,MD_009_sit_Aor,\"MD_009_sup_Aor\"" + eol;
    write_text(dir + "/train.csv", csv);
    write_text(dir + "/additional_metadata.csv", "patient_id,Age,Gender,Smoker,Lives" + eol + "patient_009,61,F,0,R" + eol);
    write_wav(dir + "/train/MD_009_sit_Aor.wav", 2.0);
    write_wav(dir + "/train/MD_009_sup_Aor.wav", 2.0);
    DatasetIndex ix = murmur::data::index_dataset(dir);
    EXPECT_TRUE(ix.anomalies.empty()) << describe(ix);
    ASSERT_EQ(ix.recordings.size(), 2u);
    // Labels from the CSV (MR + MS), not from the MD file name (unknown).
    EXPECT_EQ(ix.recordings[0].labels, (std::vector<int>{2, 3}));
    ASSERT_EQ(ix.patients.size(), 1u);
    EXPECT_EQ(ix.patients[0].csv_patient_id, "patient_009");
    ASSERT_TRUE(ix.patients[0].metadata);
    EXPECT_EQ(ix.patients[0].metadata->age_years, 61);
  }
}

TEST(Index, BadCellsAreShownPrintableWithTheirLine) {
  std::string dir = make_small_bmdhs("index_printable", row("004", "MR", "0,0,\x01\xff,0,0"));
  DatasetIndex ix = murmur::data::index_dataset(dir);
  auto malformed = of_kind(ix, AnomalyKind::kMalformedRow);
  ASSERT_EQ(malformed.size(), 1u) << describe(ix);
  EXPECT_EQ(malformed[0].where, "train.csv:4");
  EXPECT_NE(malformed[0].message.find("'\\x01\\xFF'"), std::string::npos) << malformed[0].message;
}

TEST(Index, UnterminatedQuoteThrowsNamingFileAndLine) {
  std::string dir = make_small_bmdhs("index_unterminated", "\"patient_003,0,0,0,0,1\n");
  try {
    murmur::data::index_dataset(dir);
    FAIL() << "an unterminated quote must throw";
  } catch (const murmur::Error& e) {
    EXPECT_NE(std::string(e.what()).find("train.csv:4: unterminated quoted field"), std::string::npos) << e.what();
  }
}

TEST(Index, SingleLabelRuleExcludesMd) {
  murmur::data::Recording r;
  EXPECT_FALSE(r.is_single_label());
  r.label = 1;
  r.file_class = "AS";
  EXPECT_TRUE(r.is_single_label());
  r.file_class = "MD";
  EXPECT_FALSE(r.is_single_label());
}

TEST(Index, UnusableFolderOrHeaderThrowsNamingTheFile) {
  EXPECT_THROW(murmur::data::index_dataset("/nonexistent/murmur"), murmur::Error);
  std::string dir = murmur::test::temp_dir("index_header");
  write_text(dir + "/train.csv", "id,AS,N\n1,1,0\n");
  try {
    murmur::data::index_dataset(dir);
    FAIL() << "a header without patient_id must throw";
  } catch (const murmur::Error& e) {
    EXPECT_NE(std::string(e.what()).find("train.csv"), std::string::npos) << e.what();
  }
}

TEST(Index, MissingLabelColumnOrCsvIsAnErrorNotASilentRelabelling) {
  // Without the MS column every MS patient would silently become unlabelled or another class.
  std::string dir = murmur::test::temp_dir("index_missing_label");
  fs::create_directories(dir + "/train");
  write_text(dir + "/train.csv", "patient_id,AS,AR,MR,N,recording_1\npatient_001,0,0,0,1,N_001_sit_Aor\n");
  write_wav(dir + "/train/N_001_sit_Aor.wav", 2.0);
  try {
    murmur::data::index_dataset(dir);
    FAIL() << "a header without the MS column must throw";
  } catch (const murmur::Error& e) {
    EXPECT_NE(std::string(e.what()).find("label column(s) MS"), std::string::npos) << e.what();
  }
  // A BMD-HS copy whose train.csv is missing indexed 0 recordings and went on.
  fs::remove(dir + "/train.csv");
  try {
    murmur::data::index_dataset(dir);
    FAIL() << "train/ without train.csv must throw";
  } catch (const murmur::Error& e) {
    EXPECT_NE(std::string(e.what()).find("no train.csv"), std::string::npos) << e.what();
  }
}

// Found by fuzz/index_fuzz: a byte that is not UTF-8 in train.csv made `murmur index --json`
// (and every report that lists anomalies) fail with an internal error from the JSON writer.
TEST(Index, BytesThatAreNotUtf8ReachJsonAsReplacementCharacters) {
  std::string dir = make_small_bmdhs("index_latin1");
  write_text(dir + "/additional_metadata.csv", "patient_id,Age,Gender,Smoker,Lives\npatient_001,35,M\xE9,1,U\xFF\n");
  std::string out = dir + "/../murmur_index_latin1.json";
  std::string cmd = std::string(MURMUR_BINARY) + " --json index --list " + dir + " > " + out;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  auto j = nlohmann::json::parse(std::ifstream(out));
  EXPECT_NE(j.dump().find("\xEF\xBF\xBD"), std::string::npos) << j["anomalies"];  // U+FFFD
  fs::remove(out);
}

TEST(Index, CliPrintsJsonSummary) {
  std::string dir = make_small_bmdhs("index_cli");
  std::string out = dir + "/../murmur_index_cli.json";
  std::string cmd = std::string(MURMUR_BINARY) + " --json index " + dir + " > " + out;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  auto j = nlohmann::json::parse(std::ifstream(out));
  EXPECT_EQ(j["summary"]["n_recordings"], 16);
  EXPECT_EQ(j["summary"]["single_label_patients"]["AS"], 1);
  EXPECT_TRUE(j["anomalies"].empty());
  fs::remove(out);
}

// ---------------------------------------------------------------- sources beyond BMD-HS

namespace {

// PhysioNet 2016's layout: REFERENCE.csv, training-x/ folders at 2 kHz, segmentation/*.tsv.
std::string make_small_physionet(const std::string& name) {
  std::string dir = murmur::test::temp_dir(name);
  fs::create_directories(dir + "/training-a");
  fs::create_directories(dir + "/training-b");
  fs::create_directories(dir + "/segmentation");
  write_wav(dir + "/training-a/a0001.wav", 6.0, 2000);
  write_wav(dir + "/training-a/a0002.wav", 7.0, 2000);
  write_wav(dir + "/training-b/b0001.wav", 5.5, 2000);
  write_text(dir + "/segmentation/a0001.tsv", "0.0\t0.1\tS1\n");
  write_text(dir + "/REFERENCE.csv",
             "record,subset,label,seconds,file,segmentation\n"
             "a0001,training-a,abnormal,6,training-a/a0001.wav,segmentation/a0001.tsv\n"
             "a0002,training-a,normal,7,training-a/a0002.wav,\n"
             "b0001,training-b,normal,5.5,training-b/b0001.wav,segmentation/b0001.tsv\n"
             "b0002,training-b,maybe,5,training-b/b0002.wav,\n"
             "b0003,training-b,normal,5,training-b/b0003.wav,\n");
  return dir;
}

}  // namespace

TEST(IndexSources, PhysionetSubsetsAreSourcesWithNormalAbnormalAndAnnotations) {
  const DatasetIndex ix = murmur::data::index_dataset(make_small_physionet("ix_physionet"));
  EXPECT_EQ(ix.layout, "physionet2016");
  ASSERT_EQ(ix.recordings.size(), 3u) << describe(ix);
  const auto& a1 = ix.recordings[0];
  EXPECT_EQ(a1.stem, "a0001");
  EXPECT_EQ(a1.source, "training-a");
  EXPECT_EQ(a1.abnormal, 1);
  EXPECT_EQ(a1.murmur, -1);
  EXPECT_EQ(a1.label, -1);
  EXPECT_FALSE(a1.is_single_label());
  EXPECT_NE(a1.segmentation.find("a0001.tsv"), std::string::npos);
  EXPECT_EQ(a1.sample_rate_hz, 2000);
  EXPECT_EQ(ix.recordings[1].abnormal, 0);
  EXPECT_TRUE(ix.recordings[1].segmentation.empty());
  EXPECT_EQ(ix.summary.sources.at("training-a").n_recordings, 2);
  EXPECT_EQ(ix.summary.sources.at("training-a").n_abnormal, 1);
  EXPECT_EQ(ix.summary.sources.at("training-a").n_annotated, 1);
  EXPECT_EQ(ix.summary.sources.at("training-b").n_normal, 1);
  // The annotation that is not there, the label nobody knows, the file that is missing: reported by line.
  EXPECT_EQ(of_kind(ix, AnomalyKind::kUnknownLabel).size(), 1u) << describe(ix);
  EXPECT_EQ(of_kind(ix, AnomalyKind::kUnknownLabel)[0].where, "REFERENCE.csv:5");
  EXPECT_EQ(of_kind(ix, AnomalyKind::kMissingFile).size(), 2u) << describe(ix);
  EXPECT_EQ(ix.summary.n_patients, 3);
}

TEST(IndexSources, PascalPatientsMurmurExtrastoleAndShortRecordings) {
  std::string dir = murmur::test::temp_dir("ix_pascal");
  fs::create_directories(dir + "/audio");
  for (const char* f : {"normal__1_a", "murmur__1_b", "extrastole__2_a", "Bunlabelledtest__3_a"})
    write_wav(dir + "/audio/" + f + ".wav", 3.0);
  write_wav(dir + "/audio/short__4_a.wav", 0.5);
  write_text(dir + "/REFERENCE.csv",
             "file,patient,label,noisy,seconds,rate\n"
             "audio/normal__1_a.wav,1,normal,1,3,4000\naudio/murmur__1_b.wav,1,murmur,0,3,4000\n"
             "audio/extrastole__2_a.wav,2,extrastole,0,3,4000\naudio/Bunlabelledtest__3_a.wav,3,,0,3,4000\n"
             "audio/short__4_a.wav,4,normal,0,0.5,4000\naudio/normal__1_a.wav,1,normal,1,3,4000\n");
  const DatasetIndex ix = murmur::data::index_dataset(dir);
  EXPECT_EQ(ix.layout, "pascal-b");
  ASSERT_EQ(ix.recordings.size(), 5u) << describe(ix);
  std::map<std::string, const murmur::data::Recording*> by;
  for (const auto& r : ix.recordings) by[r.stem] = &r;
  EXPECT_EQ(by["murmur__1_b"]->murmur, 1);
  EXPECT_EQ(by["murmur__1_b"]->abnormal, 1);
  EXPECT_EQ(by["normal__1_a"]->murmur, 0);
  EXPECT_TRUE(by["normal__1_a"]->noisy);
  EXPECT_EQ(by["extrastole__2_a"]->murmur, 0);
  EXPECT_EQ(by["extrastole__2_a"]->abnormal, -1);
  EXPECT_EQ(by["Bunlabelledtest__3_a"]->murmur, -1);
  EXPECT_EQ(by["normal__1_a"]->patient_id, by["murmur__1_b"]->patient_id);  // one patient visit, never split
  EXPECT_EQ(ix.summary.sources.at("pascal-b").n_patients, 4);
  EXPECT_EQ(of_kind(ix, AnomalyKind::kDuplicate).size(), 1u) << describe(ix);
  EXPECT_EQ(of_kind(ix, AnomalyKind::kUnusualDuration).size(), 1u) << describe(ix);
}

TEST(IndexSources, ManifestCarriesAnyLabelsAndRefusesUnknownOnes) {
  std::string dir = murmur::test::temp_dir("ix_manifest");
  for (const char* f : {"x1", "x2", "x3", "x4", "x5"}) write_wav(dir + "/" + f + ".wav", 4.0, 8000);
  write_text(dir + "/manifest.csv",
             "file,patient,source,class,abnormal,murmur\n"
             "x1.wav,p1,clinic-a,AS+MR,,\nx2.wav,p1,clinic-a,N,,\nx3.wav,p2,clinic-b,,1,\n"
             "x4.wav,p3,clinic-b,XY,,\nx5.wav,p4,clinic-b,,yes,\n");
  const DatasetIndex ix = murmur::data::index_dataset(dir);
  EXPECT_EQ(ix.layout, "manifest");
  ASSERT_EQ(ix.recordings.size(), 3u) << describe(ix);
  EXPECT_EQ(ix.recordings[0].labels, (std::vector<int>{1, 2}));  // AS, MR
  EXPECT_EQ(ix.recordings[0].abnormal, 1);
  EXPECT_EQ(ix.recordings[0].murmur, 1);
  EXPECT_EQ(ix.recordings[1].label, murmur::data::class_index("N"));
  EXPECT_EQ(ix.recordings[1].abnormal, 0);
  EXPECT_EQ(ix.recordings[2].source, "clinic-b");
  EXPECT_EQ(ix.recordings[2].abnormal, 1);
  EXPECT_EQ(ix.recordings[2].murmur, -1);
  EXPECT_EQ(ix.recordings[2].sample_rate_hz, 8000);
  const auto unknown = of_kind(ix, AnomalyKind::kUnknownLabel);
  ASSERT_EQ(unknown.size(), 2u) << describe(ix);
  EXPECT_EQ(unknown[0].where, "manifest.csv:5");
  EXPECT_NE(unknown[0].message.find("class 'XY'"), std::string::npos) << unknown[0].message;
  // A column murmur does not know is a typo until proven otherwise: an error naming it.
  write_text(dir + "/manifest.csv", "file,patient,source,murmer\nx1.wav,p1,a,1\n");
  try {
    murmur::data::index_dataset(dir);
    ADD_FAILURE() << "an unknown manifest column was accepted";
  } catch (const murmur::Error& e) {
    EXPECT_NE(std::string(e.what()).find("manifest.csv: unknown column 'murmer'"), std::string::npos) << e.what();
  }
}

TEST(IndexSources, CollectionIndexesEveryDataSetInsideWithItsSource) {
  std::string dir = murmur::test::temp_dir("ix_collection");
  fs::rename(make_small_bmdhs("ix_collection_bmd"), dir + "/bmd-hs");
  fs::rename(make_small_physionet("ix_collection_pn"), dir + "/physionet2016");
  const DatasetIndex ix = murmur::data::index_dataset(dir);
  EXPECT_EQ(ix.layout, "collection");
  EXPECT_EQ(ix.summary.sources.size(), 3u);  // bmd-hs, training-a, training-b
  EXPECT_EQ(ix.summary.sources.at("bmd-hs").n_recordings, 16);
  EXPECT_EQ(ix.summary.sources.at("bmd-hs").n_abnormal, 8);  // AS_002
  EXPECT_EQ(ix.recordings.size(), 19u);
  for (const auto& p : ix.patients)
    for (int i : p.recordings) EXPECT_EQ(ix.recordings[size_t(i)].patient_id, p.id);
  EXPECT_EQ(of_kind(ix, AnomalyKind::kUnknownLabel)[0].where, "physionet2016/REFERENCE.csv:5");
  EXPECT_EQ(ix.summary.n_single_label_recordings, 16);
  // A collection's fingerprint follows its members'.
  const std::string before = ix.fingerprint;
  write_text(dir + "/physionet2016/REFERENCE.csv", "record,subset,label,seconds,file,segmentation\n");
  EXPECT_NE(murmur::data::index_dataset(dir).fingerprint, before);
}

TEST(IndexSources, RealSharedDataHasEightSources) {
  MURMUR_REQUIRE_BMDHS();
  const std::string data = murmur::test::shared_dir() + "/data";
  if (!fs::exists(data + "/physionet2016/REFERENCE.csv") || !fs::exists(data + "/pascal-b/REFERENCE.csv"))
    GTEST_SKIP() << "../shared/data has no physionet2016/ or pascal-b/: skipping";
  const DatasetIndex ix = murmur::data::index_dataset(data);
  const auto& s = ix.summary.sources;
  ASSERT_EQ(s.size(), 8u);
  EXPECT_EQ(s.at("bmd-hs").n_recordings, 872);
  EXPECT_EQ(s.at("pascal-b").n_recordings, 656);
  EXPECT_EQ(s.at("pascal-b").n_patients, 171);
  EXPECT_EQ(s.at("pascal-b").n_murmur, 95);
  EXPECT_EQ(s.at("pascal-b").n_normal, 320);
  int physionet = 0, annotated = 0;
  for (const char* k : {"training-a", "training-b", "training-c", "training-d", "training-e", "training-f"})
    physionet += s.at(k).n_recordings, annotated += s.at(k).n_annotated;
  EXPECT_EQ(physionet, 1772);
  EXPECT_EQ(annotated, 1755);
  EXPECT_EQ(ix.recordings.size(), 3300u);
}
