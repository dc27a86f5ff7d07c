#include "pipeline/robust.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "audio/shift.h"
#include "util/check.h"

namespace murmur::pipeline {

namespace {

constexpr double kPi = 3.14159265358979323846;

double uniform(double lo, double hi) { return lo + (hi - lo) * torch::rand({1}, torch::kDouble).item<double>(); }
double log_uniform(double lo, double hi) { return std::exp(uniform(std::log(lo), std::log(hi))); }
bool chance(double p) { return p > 0 && torch::rand({1}, torch::kDouble).item<double>() < p; }

// A noise's loudness over frames [T], mean about 1: steady, a slow swell (breathing), or bursts
// (friction, handling).
torch::Tensor envelope(int64_t frames, double frames_per_s) {
  const int64_t kind = torch::randint(0, 3, {1}).item<int64_t>();
  if (kind == 0) return torch::ones({frames});
  auto t = torch::arange(frames, torch::kFloat) / float(frames_per_s);
  if (kind == 1) {
    const double period_s = uniform(2, 8), depth = uniform(0.5, 1), phase = uniform(0, 2 * kPi);
    return 1.02 - depth * (0.5 + 0.5 * torch::cos(t * float(2 * kPi / period_s) + float(phase)));
  }
  const double per_s = uniform(0.5, 4);
  auto onsets = torch::rand({frames}) < float(per_s / frames_per_s);
  auto lengths = torch::randint(1, 4, {frames});
  auto env = torch::full({frames}, 0.02f);
  auto on = onsets.accessor<bool, 1>();
  auto len = lengths.accessor<int64_t, 1>();
  for (int64_t k = 0; k < frames; ++k)
    if (on[k]) env.slice(0, k, std::min(frames, k + len[k])).fill_(1.0f);
  return env;
}

// Noise power [F, T]: a band shape, a frame envelope, and each cell's chance fluctuation.
torch::Tensor noise_power(const MelBands& bands, const torch::Tensor& shape, const torch::Tensor& env) {
  auto k = bands.bins.unsqueeze(1).expand({shape.size(0), env.size(0)}).contiguous();
  return shape.unsqueeze(1) * env.unsqueeze(0) * at::_standard_gamma(k) / k;
}

}  // namespace

void RobustConfig::validate(const std::string& s) const {
  auto key = [&](const char* field) { return util::setting_key(s, field); };
  for (auto [p, name] : {std::pair{response_p, "response_p"}, {noise_p, "noise_p"}, {distortion_p, "distortion_p"}})
    util::check_setting(p >= 0 && p <= 1, key(name), "must be a probability in [0, 1]", p);
  util::check_setting(snr_lo_db <= snr_hi_db, key("snr_lo_db"), "must be <= snr_hi_db", snr_lo_db);
  util::check_setting(sdr_lo_db <= sdr_hi_db, key("sdr_lo_db"), "must be <= sdr_hi_db", sdr_lo_db);
  util::check_setting(spread_lo_db > 0 && spread_lo_db <= spread_hi_db, key("spread_lo_db"),
                      "must be > 0 and <= spread_hi_db", spread_lo_db);
}

void to_json(nlohmann::json& j, const RobustConfig& c) {
  j = {{"response_p", c.response_p}, {"noise_p", c.noise_p}, {"distortion_p", c.distortion_p},
       {"snr_lo_db", c.snr_lo_db}, {"snr_hi_db", c.snr_hi_db}, {"sdr_lo_db", c.sdr_lo_db},
       {"sdr_hi_db", c.sdr_hi_db}, {"spread_lo_db", c.spread_lo_db}, {"spread_hi_db", c.spread_hi_db}};
}

void from_json(const nlohmann::json& j, RobustConfig& c) {
  RobustConfig d;
  c.response_p = j.value("response_p", d.response_p);
  c.noise_p = j.value("noise_p", d.noise_p);
  c.distortion_p = j.value("distortion_p", d.distortion_p);
  c.snr_lo_db = j.value("snr_lo_db", d.snr_lo_db);
  c.snr_hi_db = j.value("snr_hi_db", d.snr_hi_db);
  c.sdr_lo_db = j.value("sdr_lo_db", d.sdr_lo_db);
  c.sdr_hi_db = j.value("sdr_hi_db", d.sdr_hi_db);
  c.spread_lo_db = j.value("spread_lo_db", d.spread_lo_db);
  c.spread_hi_db = j.value("spread_hi_db", d.spread_hi_db);
}

MelBands MelBands::of(const features::LogMelConfig& cfg) {
  const features::Matrix fb = features::mel_filterbank(cfg);
  MelBands b;
  b.sample_rate_hz = cfg.sample_rate_hz;
  b.weights = torch::from_blob(const_cast<float*>(fb.data.data()), {fb.rows, fb.cols}, torch::kFloat).clone();
  b.bin_hz = torch::arange(fb.cols, torch::kFloat) * float(double(cfg.sample_rate_hz) / cfg.n_fft);
  b.bins = (b.weights.sum(1).pow(2) / b.weights.pow(2).sum(1).clamp_min(1e-12)).clamp_min(1.0);
  return b;
}

torch::Tensor add_noise_db(const torch::Tensor& db, const torch::Tensor& noise_power, double snr_db) {
  auto p = torch::pow(10.0f, db / 10);
  const auto scale = p.mean() / (noise_power.mean() * float(std::pow(10.0, snr_db / 10)));
  return 10 * torch::log10(p + noise_power * scale);
}

torch::Tensor noise_shape(const MelBands& bands, double slope_db_per_octave) {
  // Power density proportional to f^g with g = slope / (10 log10 2); bin 0 taken at bin 1's frequency.
  const double g = slope_db_per_octave / (10 * std::log10(2.0));
  auto f = bands.bin_hz.clamp_min(bands.bin_hz[1].item<float>());
  return bands.weights.matmul(torch::pow(f / 100, float(g)));
}

torch::Tensor response_gain_db(const MelBands& bands, double highpass_hz, double lowpass_hz, double shelf_hz,
                               double shelf_db) {
  using audio::Biquad;
  const int64_t n = bands.bin_hz.size(0);
  auto gain = torch::empty({n});
  auto hz = bands.bin_hz.accessor<float, 1>();
  auto out = gain.accessor<float, 1>();
  for (int64_t c = 0; c < n; ++c) {
    const int r = bands.sample_rate_hz;
    const double db = audio::biquad_gain_db(r, Biquad::kHighPass, highpass_hz, hz[c]) +
                      audio::biquad_gain_db(r, Biquad::kLowPass, lowpass_hz, hz[c]) +
                      audio::biquad_gain_db(r, Biquad::kLowShelf, shelf_hz, hz[c], shelf_db);
    out[c] = float(std::pow(10.0, db / 10));
  }
  return 10 * torch::log10(bands.weights.matmul(gain) / bands.weights.sum(1).clamp_min(1e-12));
}

torch::Tensor robust_augment(const torch::Tensor& x, const RobustConfig& cfg, const MelBands& bands,
                             double frames_per_s) {
  auto y = x.clone();
  for (int64_t i = 0; i < y.size(0); ++i) {
    const bool respond = chance(cfg.response_p), distort = chance(cfg.distortion_p), noisy = chance(cfg.noise_p);
    if (!respond && !distort && !noisy) continue;
    auto mel = y[i][0];  // [F, T], a view: written back below
    auto db = mel * float(uniform(cfg.spread_lo_db, cfg.spread_hi_db));
    if (respond) {
      const double hp = log_uniform(15, 150), lp = log_uniform(250, 1500), shelf = uniform(80, 300);
      db = db + response_gain_db(bands, hp, lp, shelf, uniform(-8, 8)).unsqueeze(1);
    }
    if (distort) {  // follows the signal's frame power: loud where the heart sounds are
      auto frame_power = torch::pow(10.0f, db / 10).sum(0);
      const double slope = uniform(-6, 0), sdr = uniform(cfg.sdr_lo_db, cfg.sdr_hi_db);
      db = add_noise_db(db, noise_power(bands, noise_shape(bands, slope), frame_power / frame_power.mean()), sdr);
    }
    if (noisy) {
      const double slope = uniform(-9, 3), snr = uniform(cfg.snr_lo_db, cfg.snr_hi_db);
      db = add_noise_db(db, noise_power(bands, noise_shape(bands, slope), envelope(db.size(1), frames_per_s)), snr);
    }
    mel.copy_((db - db.mean()) / (db.std() + 1e-5));
  }
  return y;
}

}  // namespace murmur::pipeline
