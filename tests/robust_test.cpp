// Robustness training on features (pipeline/robust.h): what it simulates in mel power is what the
// same response, noise and mixing do to audio, and the preset uses it only when asked.
#include "pipeline/robust.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "audio/shift.h"
#include "pipeline/native.h"
#include "pipeline/registry.h"
#include "util/error.h"

namespace mp = murmur::pipeline;
namespace mf = murmur::features;

namespace {

const mf::LogMelConfig& mel_config() {
  static const mp::NativePreset p;
  return p.log_mel;
}

torch::Tensor db_of(const std::vector<float>& x) {
  mf::Matrix m = mf::log_mel(x, mel_config());
  return torch::from_blob(m.data.data(), {m.rows, m.cols}, torch::kFloat).clone();
}

std::vector<float> white(size_t n, double rms, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g(0, float(rms));
  std::vector<float> x(n);
  for (auto& v : x) v = g(rng);
  return x;
}

// A heart-like recording: 60-150 Hz tone bursts (S1, S2) 1.2 times a second, nothing above 400 Hz.
std::vector<float> heart(int rate = 4000, double seconds = 20) {
  std::vector<float> x(size_t(rate * seconds));
  for (size_t i = 0; i < x.size(); ++i) {
    const double t = double(i) / rate, phase = std::fmod(t, 0.8);
    const double s1 = phase < 0.1 ? std::sin(2 * M_PI * 60 * t) : 0, s2 = phase > 0.35 && phase < 0.43 ? std::sin(2 * M_PI * 150 * t) : 0;
    x[i] = float(0.4 * s1 + 0.3 * s2);
  }
  return x;
}

}  // namespace

TEST(Robust, MixingInMelPowerIsMixingTheAudio) {
  const auto clean = heart(), noise = white(clean.size(), 0.05, 7);
  std::vector<float> mixed(clean.size());
  for (size_t i = 0; i < clean.size(); ++i) mixed[i] = clean[i] + noise[i];
  const auto db_clean = db_of(clean), db_noise = db_of(noise), db_mixed = db_of(mixed);
  // The SNR that puts the noise at its own level: add_noise_db's scale is then 1.
  const double snr = 10 * std::log10(torch::pow(10.0f, db_clean / 10).mean().item<double>() /
                                     torch::pow(10.0f, db_noise / 10).mean().item<double>());
  const auto db_sim = mp::add_noise_db(db_clean, torch::pow(10.0f, db_noise / 10), snr);
  const double err = (db_sim - db_mixed).abs().median().item<double>();
  const double moved = (db_clean - db_mixed).abs().median().item<double>();
  EXPECT_LT(err, 1.0) << "cell by cell, the powers add (cross terms average out)";
  EXPECT_GT(moved, 10.0) << "the noise changed the features a lot, so the test means something";
}

TEST(Robust, NoiseShapeIsTheMelPowerOfThatNoise) {
  const mp::MelBands bands = mp::MelBands::of(mel_config());
  auto white_db = db_of(white(80000, 0.1, 3)).mean(1);  // mean dB per band over frames
  auto shape_db = 10 * torch::log10(mp::noise_shape(bands, 0));
  // Up to a constant, and up to the bias of averaging dB (larger where a band has fewer bins).
  auto d = white_db - shape_db;
  EXPECT_LT((d - d.mean()).abs().max().item<double>(), 2.0);
  // A slope of -6 dB/octave: two octaves between 100 and 400 Hz cost 12 dB more than white does.
  auto tilt = 10 * torch::log10(mp::noise_shape(bands, -6) / mp::noise_shape(bands, 0));
  auto hz = (bands.weights * bands.bin_hz).sum(1) / bands.weights.sum(1);
  const int64_t lo = (hz - 100).abs().argmin().item<int64_t>(), hi = (hz - 400).abs().argmin().item<int64_t>();
  const double octaves = std::log2(hz[hi].item<double>() / hz[lo].item<double>());
  EXPECT_NEAR(tilt[lo].item<double>() - tilt[hi].item<double>(), 6 * octaves, 1.0);
}

TEST(Robust, ResponseGainIsWhatTheFilterDoesToAudio) {
  const mp::MelBands bands = mp::MelBands::of(mel_config());
  auto x = white(80000, 0.1, 5), y = x;
  using murmur::audio::Biquad;
  murmur::audio::biquad(y, 4000, Biquad::kHighPass, 120);
  murmur::audio::biquad(y, 4000, Biquad::kLowPass, 300);
  murmur::audio::biquad(y, 4000, Biquad::kLowShelf, 200, 6.0);
  auto measured = 10 * torch::log10(torch::pow(10.0f, db_of(y) / 10).mean(1) / torch::pow(10.0f, db_of(x) / 10).mean(1));
  auto predicted = mp::response_gain_db(bands, 120, 300, 200, 6.0);
  EXPECT_LT((measured - predicted).abs().max().item<double>(), 0.5);
  EXPECT_LT(predicted[0].item<double>(), -5) << "the lowest band is cut by the high-pass";
  EXPECT_LT(predicted[31].item<double>(), -10) << "the highest band is cut by the low-pass";
}

TEST(Robust, AugmentsChannelZeroAndStandardisesAgain) {
  torch::manual_seed(1);
  auto db = db_of(heart());
  auto t = ((db - db.mean()) / (db.std() + 1e-5)).unsqueeze(0);
  auto x = torch::cat({t, torch::ones_like(t)}).unsqueeze(0).repeat({3, 1, 1, 1});  // [3, 2, F, T]
  const mp::MelBands bands = mp::MelBands::of(mel_config());
  EXPECT_TRUE(torch::equal(mp::robust_augment(x, {}, bands, 31.25), x)) << "off by default";
  mp::RobustConfig cfg;
  cfg.noise_p = 1;
  cfg.snr_lo_db = cfg.snr_hi_db = 5;
  torch::manual_seed(2);
  auto y = mp::robust_augment(x, cfg, bands, 31.25);
  torch::manual_seed(2);
  EXPECT_TRUE(torch::equal(mp::robust_augment(x, cfg, bands, 31.25), y)) << "seeded: the same draws";
  EXPECT_TRUE(torch::equal(y.select(1, 1), x.select(1, 1))) << "phase channels are not levels";
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(y[i][0].mean().item<double>(), 0, 1e-4);
    EXPECT_NEAR(y[i][0].std().item<double>(), 1, 1e-3);
  }
  // The silence between and above the heart sounds (cells at the dB floor) fills with noise.
  auto at_floor = [](const torch::Tensor& m) { return (m == m.min()).sum().item<int64_t>(); };
  EXPECT_GT(at_floor(x[0][0]), 1000);
  EXPECT_LT(at_floor(y[0][0]), 10);
}

TEST(Robust, PresetSettingsRoundTripAndAreChecked) {
  auto p = mp::with_overrides(*mp::make_preset("native"), {"robust.noise_p=0.5", "robust.snr_lo_db=3"});
  auto& n = dynamic_cast<const mp::NativePreset&>(*p);
  EXPECT_DOUBLE_EQ(n.robust.noise_p, 0.5);
  EXPECT_DOUBLE_EQ(n.robust.snr_lo_db, 3);
  auto back = mp::preset_from_json(p->to_json());
  EXPECT_DOUBLE_EQ(dynamic_cast<const mp::NativePreset&>(*back).robust.noise_p, 0.5);
  EXPECT_THROW(mp::with_overrides(*mp::make_preset("native"), {"robust.noise_p=1.5"}), murmur::Error);
  EXPECT_FALSE(dynamic_cast<const mp::NativePreset&>(*mp::make_preset("native")).robust.enabled());
}
