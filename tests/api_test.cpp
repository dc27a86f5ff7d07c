// The installed interface (include/murmur/murmur.h): the same answers as the pipeline it wraps,
// input checks that name the input, patient fusion, the heart cycle and a live stream.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <thread>

#include "murmur/murmur.h"
#include "pipeline/predictor.h"
#include "serve_test_util.h"
#include "util/fs.h"

namespace mt = murmur::test;

namespace {

const murmur::Model& model() {
  static murmur::Model m = murmur::Model::load(mt::tiny_model_path());
  return m;
}

std::vector<double> pipeline_probs(const std::vector<float>& x, int rate_hz) {
  static auto p = murmur::pipeline::Predictor::open(mt::tiny_model_path());
  murmur::audio::Audio a{x, rate_hz, rate_hz, 1};
  auto t = p.predict_audio(a).to(torch::kDouble).contiguous();
  return {t.data_ptr<double>(), t.data_ptr<double>() + t.numel()};
}

TEST(Api, PredictGivesThePipelinesProbabilitiesAndItsJson) {
  const auto x = mt::synth_heart(6.0);
  const murmur::Answer a = model().predict(x.data(), x.size(), 4000, "heart");
  EXPECT_EQ(a.class_names, (std::vector<std::string>{"AR", "AS", "MR", "MS", "N"}));  // the checkpoint's order
  const auto want = pipeline_probs(x, 4000);
  ASSERT_EQ(a.probabilities.size(), want.size());
  for (size_t k = 0; k < want.size(); ++k) EXPECT_EQ(a.probabilities[k], want[k]) << k;
  EXPECT_EQ(a.quality, "ok");
  const auto j = nlohmann::json::parse(a.json);
  EXPECT_EQ(j["class"], a.label);
  EXPECT_EQ(j["probabilities"]["AS"].get<double>(), a.probabilities[1]);
  EXPECT_DOUBLE_EQ(j["duration_s"].get<double>(), 6.0);
  EXPECT_TRUE(a.findings.empty());  // a single-label model
}

TEST(Api, AnyRateIsResampledAsTheModelNeeds) {
  const auto x = mt::synth_heart(6.0, 8000);
  const murmur::Answer a = model().predict(x.data(), x.size(), 8000);
  EXPECT_EQ(nlohmann::json::parse(a.json)["sample_rate_hz"], 8000);
  EXPECT_EQ(a.probabilities, pipeline_probs(x, 8000));
}

TEST(Api, BadSamplesThrowErrorsNamingThem) {
  auto x = mt::synth_heart(3.0);
  auto throws = [&](const std::vector<float>& s, int rate, const std::string& part) {
    try {
      model().predict(s.data(), s.size(), rate, "clip.wav");
      ADD_FAILURE() << "no error for " << part;
    } catch (const murmur::Error& e) {
      EXPECT_NE(std::string(e.what()).find("clip.wav: "), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  auto nan = x;
  nan[7] = std::nanf("");
  throws(nan, 4000, "sample 7 is NaN");
  throws(std::vector<float>(8000, 0.f), 4000, "silent");
  throws({x.begin(), x.begin() + 400}, 4000, "shorter than the minimum");
  throws(x, 200, "sample rate 200 Hz");
  auto loud = x;
  loud[3] = 5000.f;
  throws(loud, 4000, "not a physical recording");
  EXPECT_THROW(murmur::Model::load("no/such/model.pth"), murmur::Error);
}

TEST(Api, FuseFollowsThePresetsRule) {
  const auto x = mt::synth_heart(6.0), y = mt::synth_heart(5.0);
  const murmur::Answer a = model().predict(x.data(), x.size(), 4000), b = model().predict(y.data(), y.size(), 4000);
  const murmur::Answer p = model().fuse({a, b});
  ASSERT_EQ(model().fusion(), "geometric");  // native: the normalised geometric mean
  double total = 0;
  for (size_t k = 0; k < a.probabilities.size(); ++k) total += std::sqrt(a.probabilities[k] * b.probabilities[k]);
  for (size_t k = 0; k < p.probabilities.size(); ++k)
    EXPECT_NEAR(p.probabilities[k], std::sqrt(a.probabilities[k] * b.probabilities[k]) / total, 1e-6);
  EXPECT_EQ(nlohmann::json::parse(p.json)["recordings"], 2);
  EXPECT_TRUE(p.quality.empty());
  murmur::Answer short_one = a;
  short_one.probabilities.pop_back();
  EXPECT_THROW(model().fuse({a, short_one}), murmur::Error);
  EXPECT_THROW(model().fuse({}), murmur::Error);
}

TEST(Api, PredictFileEqualsPredictOnItsSamples) {
  const auto x = mt::synth_heart(6.0);
  const std::string path = mt::temp_dir("api_file") + "/AS_001_sit_Aor.wav";
  murmur::util::write_file_atomic(path, mt::wav_bytes(x, 4000));
  const auto samples = murmur::audio::load(path);
  EXPECT_EQ(model().predict_file(path).probabilities,
            model().predict(samples.samples.data(), samples.samples.size(), 4000).probabilities);
}

TEST(Api, ExplainAddsWhyToTheSameAnswer) {
  const auto x = mt::synth_heart(6.0);
  const murmur::Answer e = model().explain(x.data(), x.size(), 4000);
  EXPECT_EQ(e.probabilities, model().predict(x.data(), x.size(), 4000).probabilities);
  EXPECT_FALSE(nlohmann::json::parse(e.json)["explanation"]["sentence"].get<std::string>().empty());
}

TEST(Api, HeartCyclesFindTheSynthesisedRate) {
  const auto x = mt::synth_heart(10.0);
  const murmur::HeartCycles hc = murmur::heart_cycles(x.data(), x.size(), 4000);
  EXPECT_GT(hc.heart_rate_bpm, 40);
  EXPECT_LT(hc.heart_rate_bpm, 160);
  ASSERT_FALSE(hc.phases.empty());
  for (const auto& ph : hc.phases) EXPECT_LT(ph.start_s, ph.end_s);
  EXPECT_TRUE(nlohmann::json::parse(hc.json).contains("states"));
  EXPECT_THROW(murmur::heart_cycles(x.data(), 100, 4000), murmur::Error);
}

TEST(Api, StreamGivesAHopPerSecondAfterTheFirstWindow) {
  const auto x = mt::synth_heart(8.0);
  murmur::Stream live(model(), 4000, 5.0, 1.0);
  std::vector<std::string> hops;
  for (size_t i = 0; i < x.size(); i += 1000) {
    auto got = live.push(x.data() + i, std::min<size_t>(1000, x.size() - i));
    hops.insert(hops.end(), got.begin(), got.end());
  }
  ASSERT_EQ(hops.size(), 4u);  // at 5, 6, 7, 8 s
  EXPECT_EQ(nlohmann::json::parse(hops[0])["time_s"], 5.0);
  EXPECT_EQ(nlohmann::json::parse(live.summary())["n_hops"], 4);
  EXPECT_THROW(murmur::Stream(model(), 4000, 0.5, 1.0), murmur::Error);  // window under the hop
}

TEST(Api, ThreadsTakeTurnsAndAgree) {
  const auto x = mt::synth_heart(6.0);
  const auto want = model().predict(x.data(), x.size(), 4000).probabilities;
  std::vector<std::vector<double>> got(4);
  std::vector<std::thread> threads;
  for (auto& g : got) threads.emplace_back([&] { g = model().predict(x.data(), x.size(), 4000).probabilities; });
  for (auto& t : threads) t.join();
  for (const auto& g : got) EXPECT_EQ(g, want);
  EXPECT_NE(murmur::version().find(MURMUR_VERSION), std::string::npos);
}

}  // namespace
