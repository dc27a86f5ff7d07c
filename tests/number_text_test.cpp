// Every number murmur writes, murmur reads back: the text form of floats (util/number_text.h),
// predictions CSVs with extreme probabilities and thresholds, checkpoint metadata and weights,
// JSON files, and feature cache entries. Non-finite values are refused when written, by name.
#include "util/number_text.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <random>

#include "data/cache.h"
#include "eval/predictions.h"
#include "model/checkpoint.h"
#include "pipeline/model.h"
#include "pipeline/registry.h"
#include "test_util.h"
#include "util/error.h"
#include "util/json.h"

namespace mu = murmur::util;
namespace me = murmur::eval;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

uint32_t bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

// The values that break naive text I/O: zero of both signs, the smallest subnormal, a subnormal a
// confident calibrated model really produced, the normal range's ends, 1 - 1e-7 and its neighbour.
std::vector<float> extremes() {
  return {0.0f, -0.0f, 1.0f, FLT_TRUE_MIN, 4.34402524e-44f, FLT_MIN, std::nextafter(FLT_MIN, 0.0f), FLT_MAX,
          -FLT_MAX, 1.0f - 1e-7f, std::nextafter(1.0f, 0.0f), 0.5f, 1e-30f, 0.1f};
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const murmur::Error& e) {
    return e.what();
  }
  return "";
}

me::Prediction row(const std::string& file, std::vector<float> probs, int true_class = 0) {
  me::Prediction p;
  p.file = file, p.patient = "P1", p.site = "Aor", p.position = "sit", p.fold = 2, p.repeat = 1;
  p.true_class = true_class;
  p.probs = std::move(probs);
  return p;
}

}  // namespace

TEST(NumberText, ExtremesRoundTripBitForBit) {
  for (float v : extremes()) {
    const std::string s = mu::float_text(v);
    EXPECT_EQ(bits(mu::parse_float(s)), bits(v)) << s;
    EXPECT_EQ(mu::parse_double(mu::double_text(double(v))), double(v)) << s;
  }
  EXPECT_EQ(mu::parse_double(mu::double_text(DBL_TRUE_MIN)), DBL_TRUE_MIN);
  EXPECT_EQ(mu::parse_double(mu::double_text(DBL_MAX)), DBL_MAX);
}

TEST(NumberText, EveryFiniteFloatPatternRoundTrips) {
  std::mt19937 gen(26);
  int checked = 0;
  for (int i = 0; i < 200000; ++i) {
    uint32_t b = gen();
    float v;
    std::memcpy(&v, &b, sizeof v);
    if (!std::isfinite(v)) continue;
    ASSERT_EQ(bits(mu::parse_float(mu::float_text(v))), b) << mu::float_text(v);
    ++checked;
  }
  EXPECT_GT(checked, 190000);
}

TEST(NumberText, NonFiniteRefusedAtWriteNamingWhat) {
  EXPECT_NE(error_of([] { mu::float_text(kNaN, "run.csv: p_AS"); }).find("run.csv: p_AS: NaN/infinity"), std::string::npos);
  EXPECT_NE(error_of([] { mu::float_text(-kInf, "t"); }).find("t: NaN/infinity"), std::string::npos);
  EXPECT_NE(error_of([] { mu::double_text(std::nan(""), "x"); }), "");
}

TEST(NumberText, ReadingRefusesWhatIsNotOneFiniteNumber) {
  for (const char* bad : {"", " 1", "1 ", "nan", "-nan", "inf", "-inf", "infinity", "1e39", "-1e39", "0x1p3", "1.5abc",
                          "abc", "1,5", "--1"})
    EXPECT_THROW(mu::parse_float(bad), std::invalid_argument) << '"' << bad << '"';
  EXPECT_THROW(mu::parse_double("1e309"), std::invalid_argument);
  for (const char* bad : {"", "1.0", "1e3", " 2", "2 ", "x", "99999999999", "-99999999999"})
    EXPECT_THROW(mu::parse_int(bad), std::invalid_argument) << '"' << bad << '"';
  EXPECT_EQ(mu::parse_int("-7"), -7);
  EXPECT_EQ(mu::parse_float("1e-45"), FLT_TRUE_MIN);  // an underflow to the smallest subnormal is that value
  EXPECT_EQ(mu::parse_float("1e-50"), 0.0f);          // below it: zero, as the writer never writes
}

TEST(NumberText, ProbabilityFloorIsTheSmallestNormalFloat) {
  EXPECT_EQ(mu::flush_probability(4.34402524e-44f), 0.0f);
  EXPECT_EQ(mu::flush_probability(FLT_TRUE_MIN), 0.0f);
  EXPECT_EQ(mu::flush_probability(FLT_MIN), FLT_MIN);
  EXPECT_EQ(mu::flush_probability(1e-30f), 1e-30f);
}

// A predictions CSV holds what it was given: every normal probability and every threshold exactly,
// a subnormal probability as 0 (documented floor), and refuses NaN at write time by file and column.
TEST(NumberText, PredictionsCsvRoundTripsExtremes) {
  const std::vector<std::string> names = {"AR", "AS", "MR", "MS", "N"};
  me::Predictions rows;
  const auto xs = extremes();
  for (size_t i = 0; i < xs.size(); ++i) {
    const float v = std::fabs(xs[i]) <= 1 ? std::fabs(xs[i]) : 1.0f;  // probabilities: the extremes within 0-1
    rows.push_back(row("r" + std::to_string(i), {v, 1 - v, v, 0.0f, 1.0f}, int(i % 5)));
  }
  std::vector<std::string> back_names;
  const me::Predictions back = me::predictions_from_csv(me::predictions_to_csv(rows, names), "run.csv", &back_names);
  EXPECT_EQ(back_names, names);
  ASSERT_EQ(back.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i)
    for (size_t c = 0; c < names.size(); ++c)
      EXPECT_EQ(bits(back[i].probs[c]), bits(mu::flush_probability(rows[i].probs[c])))
          << rows[i].file << " p_" << names[c] << " " << rows[i].probs[c];
  EXPECT_EQ(back[4].probs[0], 0.0f);  // the 4.3e-44 that once stopped a cv run

  // Multi-label thresholds round-trip exactly, subnormals included.
  const std::vector<std::string> valves = {"AR", "AS", "MR", "MS"};
  me::Prediction t = row("t", {0.2f, FLT_MIN, 1.0f - 1e-7f, 0.0f});
  t.true_class = -1, t.true_labels = {1, 3};
  t.thresholds = {FLT_TRUE_MIN, 0.5f, 1.0f - 1e-7f, FLT_MIN};
  const me::Predictions tb = me::predictions_from_csv(me::predictions_to_csv({t}, valves), "ml.csv");
  for (size_t c = 0; c < 4; ++c) EXPECT_EQ(bits(tb[0].thresholds[c]), bits(t.thresholds[c])) << c;
  EXPECT_EQ(tb[0].true_labels, t.true_labels);

  rows[3].probs[1] = kNaN;
  EXPECT_NE(error_of([&] { me::predictions_to_csv(rows, names); }).find("r3: p_AS: NaN/infinity"), std::string::npos);
  t.thresholds[2] = kInf;
  EXPECT_NE(error_of([&] { me::predictions_to_csv({t}, valves); }).find("t: t_MR: NaN/infinity"), std::string::npos);
}

TEST(NumberText, PredictionsCsvReadErrorsNameLineColumnAndValue) {
  const std::string head = "file,patient,site,position,fold,repeat,true_class,p_A,p_B\n";
  const std::string ok = "f,p,Aor,sit,0,0,A,0.5,0.5\n";
  EXPECT_EQ(me::predictions_from_csv(head + "f,p,Aor,sit,0,0,A,4.34402524e-44,1\n", "r.csv")[0].probs[0], 4.34402524e-44f);
  EXPECT_NE(error_of([&] { me::predictions_from_csv(head + ok + "g,p,Aor,sit,0,0,A,nan,0.5\n", "r.csv"); })
                .find("r.csv:3: p_A 'nan' is not a finite number"),
            std::string::npos);
  EXPECT_NE(error_of([&] { me::predictions_from_csv(head + "g,p,Aor,sit,1.5,0,A,0.5,0.5\n", "r.csv"); })
                .find("r.csv:2: fold '1.5' is not a whole number"),
            std::string::npos);
  EXPECT_NE(error_of([&] { me::predictions_from_csv(head + "g,p,Aor,sit,0,0,A,0.5,1e39\n", "r.csv"); })
                .find("r.csv:2: p_B '1e39'"),
            std::string::npos);
}

TEST(NumberText, JsonFilesRefuseNonFiniteNamingThePath) {
  nlohmann::json j = {{"metrics", {{"auroc", {0.5, 0.7, std::nan("")}}}}, {"ok", nullptr}};
  EXPECT_NE(error_of([&] { mu::json_file_text(j, 1, "report.json"); }).find("report.json: metrics.auroc[2]: NaN/infinity"),
            std::string::npos);
  j["metrics"]["auroc"][2] = 4.94e-324;  // the smallest subnormal double reads back as itself
  EXPECT_EQ(nlohmann::json::parse(mu::json_file_text(j, -1, "r"))["metrics"]["auroc"][2].get<double>(), 4.94e-324);
  j["metrics"]["auroc"][2] = DBL_MAX;
  EXPECT_EQ(nlohmann::json::parse(mu::json_file_text(j, -1, "r"))["metrics"]["auroc"][2].get<double>(), DBL_MAX);
}

TEST(NumberText, CheckpointRefusesNonFiniteWeightsAndMetadataAtWrite) {
  const std::string dir = murmur::test::temp_dir("number_text_checkpoint");
  murmur::model::Checkpoint ck;
  ck.state_dict.insert("fc.weight", torch::tensor({1.0f, FLT_TRUE_MIN, FLT_MAX, -0.0f}));
  ck.label_to_idx = {{"A", 0}, {"B", 1}};
  ck.preset = "native";
  ck.murmur_config = {{"calibration", {{"temperature", 1e-300}}}};
  murmur::model::write_checkpoint(dir + "/ok.pth", ck);
  const auto back = murmur::model::read_checkpoint(dir + "/ok.pth");
  EXPECT_TRUE(torch::equal(back.state_dict["fc.weight"], ck.state_dict["fc.weight"]));
  EXPECT_EQ(back.murmur_config, ck.murmur_config);

  ck.murmur_config["calibration"]["temperature"] = std::nan("");
  EXPECT_NE(error_of([&] { murmur::model::write_checkpoint(dir + "/nan.pth", ck); })
                .find("nan.pth: murmur_config: calibration.temperature: NaN/infinity"),
            std::string::npos);
  ck.murmur_config = nullptr;
  ck.state_dict["fc.weight"] = torch::tensor({1.0f, kInf});
  EXPECT_NE(error_of([&] { murmur::model::write_checkpoint(dir + "/inf.pth", ck); }).find("inf.pth: fc.weight: NaN/infinity"),
            std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir + "/nan.pth") || std::filesystem::exists(dir + "/inf.pth"));
}

TEST(NumberText, CacheEntriesAreBitExact) {
  const std::string path = murmur::test::temp_dir("number_text_cache") + "/t.bin";
  std::vector<float> v = extremes();
  v.push_back(kNaN), v.push_back(kInf);  // a binary entry holds any bits; features are checked upstream
  const torch::Tensor t = torch::tensor(v);
  murmur::data::write_tensor_raw(path, t);
  const torch::Tensor back = murmur::data::read_tensor_raw(path);
  ASSERT_EQ(back.numel(), t.numel());
  EXPECT_EQ(std::memcmp(back.data_ptr(), t.data_ptr(), t.nbytes()), 0);
}

// Calibrated probabilities carry no subnormal noise into tables and files: a very confident model's
// tiny probabilities become 0 (the argmax is kept), and the rest still sum to 1 within a float step.
TEST(NumberText, CalibratedProbabilitiesHaveNoSubnormals) {
  auto preset = murmur::pipeline::make_preset("native");
  preset->temperature = 0.05;
  murmur::pipeline::Model m;
  m.preset = std::move(preset);
  const torch::Tensor p = torch::tensor({1e-3f, 1e-2f, 0.987f, 1e-3f, 1e-3f});
  const torch::Tensor q = m.calibrated(p);
  EXPECT_EQ(q.argmax().item<int64_t>(), 2);
  for (int64_t k = 0; k < q.numel(); ++k) {
    const float x = q[k].item<float>();
    EXPECT_TRUE(x == 0.0f || x >= FLT_MIN) << k << ": " << x;
  }
  EXPECT_NEAR(q.sum().item<float>(), 1.0f, 1e-6);
  EXPECT_EQ(q[0].item<float>(), 0.0f);  // (1e-3/0.987)^20 ~ 1e-60: below every float
}

TEST(NumberText, PredictionsCsvRefusesWhatIsNotAProbability) {
  const std::string head = "file,patient,site,position,fold,repeat,true_class,p_A,p_B\n";
  EXPECT_NE(error_of([&] { me::predictions_from_csv(head + "g,p,Aor,sit,0,0,A,-0.5,0.5\n", "r.csv"); })
                .find("r.csv:2: p_A '-0.5' is not a probability (0-1)"),
            std::string::npos);
  EXPECT_NE(error_of([&] { me::predictions_from_csv(head + "g,p,Aor,sit,0,0,A,0.5,2\n", "r.csv"); }), "");
  EXPECT_EQ(me::predictions_from_csv(head + "g,p,Aor,sit,0,0,A,-0,1.0000001\n", "r.csv").size(), 1u);
}

// Class names the writer could not give back (empty, repeated, '+' inside a label set) are refused
// when read, and the writer names the file it was writing.
TEST(NumberText, PredictionsCsvRefusesClassNamesThatCannotRoundTrip) {
  const std::string fixed = "file,patient,site,position,fold,repeat,true_class,";
  for (const char* head : {"p_,p_AS\n", "p_AS,p_AS\n", "p_AR+AS,p_MR\n"})
    EXPECT_NE(error_of([&] { me::predictions_from_csv(fixed + head, "h.csv"); }).find("h.csv:1: class column"),
              std::string::npos)
        << head;
  EXPECT_EQ(mu::flush_probability(-0.5f), -0.5f);  // not a probability: left for the writer's checks
  const std::string path = murmur::test::temp_dir("number_text_write") + "/oof.csv";
  me::Predictions rows = {row("r", {kNaN, 1.0f})};
  EXPECT_NE(error_of([&] { me::write_predictions_csv(path, rows, {"A", "B"}); }).find(path + ": predictions: r: p_A"),
            std::string::npos);
}
