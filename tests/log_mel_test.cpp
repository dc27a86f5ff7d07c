// Log-mel features against librosa's formulas (tools/make_log_mel_golden.py wrote the goldens).
#include "features/log_mel.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "audio/audio.h"
#include "test_util.h"
#include "util/error.h"
#include "util/fs.h"

using murmur::features::LogMelConfig;
using murmur::features::Matrix;

namespace {

std::vector<float> read_f32(const std::string& path) {
  std::string bytes = murmur::util::read_file(path);
  std::vector<float> v(bytes.size() / sizeof(float));
  std::memcpy(v.data(), bytes.data(), v.size() * sizeof(float));
  return v;
}

nlohmann::json manifest() {
  return nlohmann::json::parse(murmur::util::read_file(murmur::test::data_path("log_mel/manifest.json")));
}

}  // namespace

TEST(LogMel, FilterbankMatchesLibrosa) {
  LogMelConfig cfg;
  Matrix fb = murmur::features::mel_filterbank(cfg);
  std::vector<float> golden = read_f32(murmur::test::data_path("log_mel/mel_fb_22050_2048_30.f32"));
  ASSERT_EQ(fb.rows, 30);
  ASSERT_EQ(fb.cols, 1025);
  ASSERT_EQ(golden.size(), fb.data.size());
  float max_rel = 0;
  for (size_t i = 0; i < golden.size(); ++i) max_rel = std::max(max_rel, std::fabs(fb.data[i] - golden[i]));
  EXPECT_LT(max_rel, 1e-7f);  // weights are ~1e-3: float32 rounding only
}

TEST(LogMel, PowerSpectrogramMatchesNumpy) {
  LogMelConfig cfg;
  auto m = manifest()["synth_tone_noise"];
  auto audio = murmur::audio::load(murmur::test::data_path("log_mel/" + m["wav"].get<std::string>()));
  Matrix p = murmur::features::power_spectrogram(audio.samples, cfg);
  std::vector<float> golden = read_f32(murmur::test::data_path("log_mel/" + m["power8"].get<std::string>()));
  ASSERT_EQ(p.rows, 1025);
  float peak = 0, max_err = 0;
  for (int k = 0; k < 1025; ++k)
    for (int t = 0; t < 8; ++t) {
      peak = std::max(peak, golden[size_t(k) * 8 + t]);
      max_err = std::max(max_err, std::fabs(p.at(k, t) - golden[size_t(k) * 8 + t]));
    }
  EXPECT_LT(max_err / peak, 1e-5f) << "max abs error " << max_err << " of peak " << peak;
}

// The whole chain on the same samples as the golden script: max abs difference <= 0.01 dB.
TEST(LogMel, MatchesLibrosaWithin001Db) {
  LogMelConfig cfg;
  int real_cases = 0;
  const nlohmann::json cases = manifest();
  for (auto& [name, m] : cases.items()) {
    auto audio = murmur::audio::load(murmur::test::data_path("log_mel/" + m["wav"].get<std::string>()));
    ASSERT_EQ(audio.sample_rate_hz, 22050);
    Matrix db = murmur::features::log_mel(audio.samples, cfg);
    std::vector<float> golden = read_f32(murmur::test::data_path("log_mel/" + m["db"].get<std::string>()));
    ASSERT_EQ(db.rows, m["shape"][0].get<int>()) << name;
    ASSERT_EQ(db.cols, m["shape"][1].get<int>()) << name;
    float max_err = 0;
    for (size_t i = 0; i < golden.size(); ++i) max_err = std::max(max_err, std::fabs(db.data[i] - golden[i]));
    EXPECT_LE(max_err, 0.01f) << name;
    std::cout << "  " << name << ": max |murmur - librosa| = " << max_err << " dB\n";
    real_cases += name.rfind("synth", 0) != 0;
  }
  EXPECT_GE(real_cases, 3) << "goldens hold at least three real BMD-HS recordings";
}

TEST(LogMel, TwentySecondsGive862Frames) {
  LogMelConfig cfg;
  std::vector<float> pcm(441000, 0.f);
  for (size_t i = 0; i < pcm.size(); ++i) pcm[i] = std::sin(0.03f * float(i));
  Matrix db = murmur::features::log_mel(pcm, cfg);
  EXPECT_EQ(db.rows, 30);
  EXPECT_EQ(db.cols, 862);
  float mx = *std::max_element(db.data.begin(), db.data.end());
  float mn = *std::min_element(db.data.begin(), db.data.end());
  EXPECT_FLOAT_EQ(mx, 0.f);    // ref = max
  EXPECT_GE(mn, -80.f);        // top_db
}

TEST(LogMel, RejectsBadConfig) {
  LogMelConfig cfg;
  cfg.fmax_hz = 2500;
  cfg.sample_rate_hz = 4000;
  try {
    cfg.validate();
    FAIL() << "fmax above Nyquist accepted";
  } catch (const murmur::Error& e) {
    EXPECT_NE(std::string(e.what()).find("Nyquist"), std::string::npos) << e.what();
  }
  cfg = LogMelConfig{};
  cfg.n_fft = 1023;
  EXPECT_THROW(cfg.validate(), murmur::Error);
  cfg = LogMelConfig{};
  cfg.fmin_hz = 1000;
  EXPECT_THROW(cfg.validate(), murmur::Error);
}

// Boundary: without centring, one sample fewer than n_fft is too short; exactly n_fft works.
TEST(LogMel, ShortestInput) {
  LogMelConfig cfg;
  cfg.center = false;
  std::vector<float> pcm(size_t(cfg.n_fft) - 1, 0.1f);
  EXPECT_THROW(murmur::features::log_mel(pcm, cfg), murmur::Error);
  pcm.push_back(0.1f);
  EXPECT_EQ(murmur::features::log_mel(pcm, cfg).cols, 1);
}

TEST(LogMel, ConfigJsonRoundTrip) {
  LogMelConfig cfg;
  cfg.n_mels = 64;
  cfg.fmax_hz = 400;
  cfg.ref = murmur::features::DbRef::kFixed;
  nlohmann::json j = cfg;
  LogMelConfig back = j.get<LogMelConfig>();
  EXPECT_EQ(back.n_mels, 64);
  EXPECT_FLOAT_EQ(back.fmax_hz, 400);
  EXPECT_EQ(back.ref, murmur::features::DbRef::kFixed);
}

TEST(LogMel, ValidateNamesTheSetKey) {
  LogMelConfig cfg;
  cfg.n_fft = -1;
  try {
    cfg.validate();
    FAIL() << "n_fft -1 accepted";
  } catch (const murmur::Error& e) {
    EXPECT_EQ(std::string(e.what()), "log_mel.n_fft: must be even and at least 16 (got -1)");
  }
  try {
    cfg.validate("native.log_mel");
    FAIL() << "n_fft -1 accepted";
  } catch (const murmur::Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("native.log_mel.n_fft: ", 0), 0u) << e.what();
  }
}

// The FFT is part of the saved configuration: a configuration saved before it was (no "fft")
// keeps kissfft, whose bits its models were trained on; the backends agree to float rounding.
TEST(LogMel, FftIsSavedAndOlderConfigurationsKeepKissfft) {
  using murmur::features::FftBackend;
  LogMelConfig cfg;
  EXPECT_EQ(cfg.fft, murmur::features::default_fft_backend());
  nlohmann::json j = cfg;
  EXPECT_EQ(j["fft"], murmur::features::fft_backend_name(cfg.fft));
  EXPECT_EQ(j.get<LogMelConfig>().fft, cfg.fft);
  j.erase("fft");
  EXPECT_EQ(j.get<LogMelConfig>().fft, FftBackend::kKiss);
  j["fft"] = "fast";
  try {
    (void)j.get<LogMelConfig>();
    FAIL() << "fft \"fast\" accepted";
  } catch (const murmur::Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("log_mel.fft: ", 0), 0u) << e.what();
  }
  auto audio = murmur::audio::load(murmur::test::data_path("log_mel/" + manifest()["synth_chirp"]["wav"].get<std::string>()));
  for (FftBackend b : murmur::features::fft_backends()) {
    LogMelConfig one = cfg, kiss = cfg;
    one.fft = b, kiss.fft = FftBackend::kKiss;
    const Matrix x = murmur::features::log_mel(audio.samples, one), y = murmur::features::log_mel(audio.samples, kiss);
    float worst = 0;
    for (size_t i = 0; i < x.data.size(); ++i) worst = std::max(worst, std::fabs(x.data[i] - y.data[i]));
    EXPECT_LT(worst, 1e-3f) << murmur::features::fft_backend_name(b) << " against kissfft, dB";
  }
}
