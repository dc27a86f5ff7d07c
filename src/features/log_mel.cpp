#include "features/log_mel.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "features/fft.h"
#include "util/check.h"
#include "util/error.h"

namespace murmur::features {

namespace {

float power_of(const std::complex<float>& c) { return c.real() * c.real() + c.imag() * c.imag(); }  // |c|^2

// Slaney's auditory-toolbox mel scale (librosa htk=False): linear below 1 kHz, log above.
constexpr double kFSp = 200.0 / 3.0;
constexpr double kMinLogHz = 1000.0;
constexpr double kMinLogMel = kMinLogHz / kFSp;  // 15
const double kLogStep = std::log(6.4) / 27.0;

double hz_to_mel(double hz) {
  return hz >= kMinLogHz ? kMinLogMel + std::log(hz / kMinLogHz) / kLogStep : hz / kFSp;
}
double mel_to_hz(double mel) {
  return mel >= kMinLogMel ? kMinLogHz * std::exp(kLogStep * (mel - kMinLogMel)) : kFSp * mel;
}

// Runs fn(frame_index, frames, spectrum) for every STFT frame of pcm (periodic Hann, centred, zero
// padded); the spectrum's bins [first_bin, end_bin) are computed (of n_fft/2 + 1).
template <typename Fn>
void for_each_frame(const std::vector<float>& pcm, const LogMelConfig& cfg, int first_bin, int end_bin, Fn fn) {
  const int n_fft = cfg.n_fft;
  std::vector<float> window(static_cast<size_t>(n_fft));
  for (int i = 0; i < n_fft; ++i) window[size_t(i)] = float(0.5 - 0.5 * std::cos(2.0 * M_PI * i / n_fft));
  const long pad = cfg.center ? n_fft / 2 : 0;
  const long n = long(pcm.size());
  const long padded = n + 2 * pad;
  if (padded < n_fft)
    throw Error("LogMel: signal of " + std::to_string(n) + " samples is shorter than n_fft " +
                std::to_string(n_fft) + (cfg.center ? " after padding" : ""));
  const long frames = 1 + (padded - n_fft) / cfg.hop;
  RealFft fft(n_fft, cfg.fft);
  float* buf = fft.input();
  for (long t = 0; t < frames; ++t) {
    const long start = t * cfg.hop - pad;  // index into pcm of the frame's first sample
    if (start >= 0 && start + n_fft <= n) {
      // Interior frames (all but a few): no bounds checks, so the loop vectorises.
      const float* x = pcm.data() + start;
      for (int i = 0; i < n_fft; ++i) buf[i] = x[i] * window[size_t(i)];
    } else {
      for (int i = 0; i < n_fft; ++i) {
        long j = start + i;
        buf[i] = (j >= 0 && j < n) ? pcm[size_t(j)] * window[size_t(i)] : 0.f;
      }
    }
    fn(int(t), int(frames), fft.forward(first_bin, end_bin));
  }
}

}  // namespace

void LogMelConfig::validate(const std::string& section) const {
  auto key = [&](const char* field) { return util::setting_key(section, field); };
  using util::check_setting;
  check_setting(sample_rate_hz > 0, key("sample_rate_hz"), "must be > 0", sample_rate_hz);
  check_setting(n_fft >= 16 && n_fft % 2 == 0, key("n_fft"), "must be even and at least 16", n_fft);
  check_setting(hop > 0, key("hop"), "must be > 0", hop);
  check_setting(n_mels > 0, key("n_mels"), "must be > 0", n_mels);
  // Upper bounds so that a typo cannot allocate gigabytes (an n_fft of 2^30, 10^7 mel bands).
  check_setting(sample_rate_hz <= 384000, key("sample_rate_hz"), "must be at most 384000 Hz", sample_rate_hz);
  check_setting(n_fft <= 65536, key("n_fft"), "must be at most 65536", n_fft);
  check_setting(hop <= 65536, key("hop"), "must be at most 65536", hop);
  check_setting(n_mels <= 512, key("n_mels"), "must be at most 512", n_mels);
  check_setting(!(fmin_hz < 0), key("fmin_hz"), "must be >= 0", fmin_hz);
  check_setting(!(fmax_hz <= fmin_hz), key("fmax_hz"), "must be above fmin_hz " + util::setting_text(fmin_hz), fmax_hz);
  check_setting(!(fmax_hz > sample_rate_hz / 2.0), key("fmax_hz"),
                "must not be above Nyquist (" + std::to_string(sample_rate_hz / 2) + " Hz)", fmax_hz);
  check_setting(!(amin <= 0), key("amin"), "must be > 0", amin);
}

void to_json(nlohmann::json& j, const LogMelConfig& c) {
  j = {{"sample_rate_hz", c.sample_rate_hz}, {"n_fft", c.n_fft}, {"hop", c.hop},
       {"n_mels", c.n_mels}, {"fmin_hz", c.fmin_hz}, {"fmax_hz", c.fmax_hz},
       {"center", c.center}, {"amin", c.amin}, {"top_db", c.top_db},
       {"ref", c.ref == DbRef::kMax ? "max" : "fixed"}, {"fft", fft_backend_name(c.fft)}};
}

void from_json(const nlohmann::json& j, LogMelConfig& c) {
  LogMelConfig d;
  c.sample_rate_hz = j.value("sample_rate_hz", d.sample_rate_hz);
  c.n_fft = j.value("n_fft", d.n_fft);
  c.hop = j.value("hop", d.hop);
  c.n_mels = j.value("n_mels", d.n_mels);
  c.fmin_hz = j.value("fmin_hz", d.fmin_hz);
  c.fmax_hz = j.value("fmax_hz", d.fmax_hz);
  c.center = j.value("center", d.center);
  c.amin = j.value("amin", d.amin);
  c.top_db = j.value("top_db", d.top_db);
  std::string ref = j.value("ref", std::string("max"));
  util::check_setting(ref == "max" || ref == "fixed", "log_mel.ref", "must be \"max\" or \"fixed\"", ref);
  c.ref = ref == "max" ? DbRef::kMax : DbRef::kFixed;
  const std::string fft = j.value("fft", std::string("kissfft"));  // absent: made before FFTW was used
  util::check_setting(fft == "fftw" || fft == "kissfft", "log_mel.fft", "must be \"fftw\" or \"kissfft\"", fft);
  c.fft = fft == "fftw" ? FftBackend::kFftw : FftBackend::kKiss;
  c.validate();
}

std::vector<double> mel_band_peak_hz(const LogMelConfig& cfg) {
  const Matrix fb = mel_filterbank(cfg);
  const double bin_hz = double(cfg.sample_rate_hz) / cfg.n_fft;
  std::vector<double> hz;
  for (int b = 0; b < fb.rows; ++b) {
    int peak = 0;
    for (int c = 1; c < fb.cols; ++c)
      if (fb.at(b, c) > fb.at(b, peak)) peak = c;
    hz.push_back(peak * bin_hz);
  }
  return hz;
}

Matrix mel_filterbank(const LogMelConfig& cfg) {
  cfg.validate();
  const int n_bins = cfg.n_fft / 2 + 1;
  // librosa.filters.mel: computed in float64, stored as float32.
  std::vector<double> mel_f(size_t(cfg.n_mels) + 2);
  const double mlo = hz_to_mel(cfg.fmin_hz), mhi = hz_to_mel(cfg.fmax_hz);
  for (size_t i = 0; i < mel_f.size(); ++i)
    mel_f[i] = mel_to_hz(mlo + (mhi - mlo) * double(i) / double(mel_f.size() - 1));
  Matrix w(cfg.n_mels, n_bins);
  for (int m = 0; m < cfg.n_mels; ++m) {
    const double lo = mel_f[size_t(m)], mid = mel_f[size_t(m) + 1], hi = mel_f[size_t(m) + 2];
    const double enorm = 2.0 / (hi - lo);
    for (int k = 0; k < n_bins; ++k) {
      const double f = double(cfg.sample_rate_hz) / 2.0 * k / (n_bins - 1);
      const double lower = (f - lo) / (mid - lo), upper = (hi - f) / (hi - mid);
      w.at(m, k) = float(std::max(0.0, std::min(lower, upper)) * enorm);
    }
  }
  return w;
}

Matrix power_spectrogram(const std::vector<float>& pcm, const LogMelConfig& cfg) {
  cfg.validate();
  Matrix p;
  const int n_bins = cfg.n_fft / 2 + 1;
  for_each_frame(pcm, cfg, 0, n_bins, [&](int t, int frames, const std::complex<float>* spec) {
    if (p.cols == 0) p = Matrix(n_bins, frames);
    for (int k = 0; k < n_bins; ++k) p.at(k, t) = power_of(spec[k]);
  });
  return p;
}

void power_to_db(Matrix& s, const LogMelConfig& cfg) {
  float ref = 1.f;
  if (cfg.ref == DbRef::kMax) ref = *std::max_element(s.data.begin(), s.data.end());
  const float ref_db = 10.f * std::log10(std::max(cfg.amin, ref));
  float top = -INFINITY;
  for (float& v : s.data) {
    v = 10.f * std::log10(std::max(cfg.amin, v)) - ref_db;
    top = std::max(top, v);
  }
  if (cfg.top_db > 0)
    for (float& v : s.data) v = std::max(v, top - cfg.top_db);
}

Matrix log_mel(const std::vector<float>& pcm, const LogMelConfig& cfg) {
  const Matrix fb = mel_filterbank(cfg);
  // Each filter is a triangle over a few bins: its nonzero range [lo, hi) is all it reads (the
  // zeros it skips add nothing, so the sums are the full products', bit for bit). The FFT bins
  // some filter covers: [k_lo, k_hi).
  std::vector<int> row_lo(size_t(fb.rows), 0), row_hi(size_t(fb.rows), 0);
  int k_lo = fb.cols, k_hi = 0;
  for (int m = 0; m < fb.rows; ++m) {
    int lo = fb.cols, hi = 0;
    for (int k = 0; k < fb.cols; ++k)
      if (fb.at(m, k) != 0.f) { lo = std::min(lo, k); hi = std::max(hi, k + 1); }
    row_lo[size_t(m)] = lo, row_hi[size_t(m)] = std::max(lo, hi);
    k_lo = std::min(k_lo, lo), k_hi = std::max(k_hi, hi);
  }
  if (k_hi <= k_lo) throw Error("LogMel: the mel filterbank is empty (n_fft too small for the band?)");
  // The band's power for every frame first ([bin, frame]), then each mel row as a sum over its
  // bins of weight x that bin's row: the loop over frames vectorises, and every cell's sum is
  // still taken in bin order, so the sums are the same as frame by frame.
  const int width = k_hi - k_lo;
  Matrix power;
  for_each_frame(pcm, cfg, k_lo, k_hi, [&](int t, int frames, const std::complex<float>* spec) {
    if (power.cols == 0) power = Matrix(width, frames);
    for (int k = 0; k < width; ++k) power.at(k, t) = power_of(spec[k_lo + k]);
  });
  const int frames = power.cols;
  Matrix mel(cfg.n_mels, frames);
  for (int m = 0; m < cfg.n_mels; ++m) {
    float* acc = &mel.data[size_t(m) * size_t(frames)];
    for (int k = row_lo[size_t(m)]; k < row_hi[size_t(m)]; ++k) {
      const float w = fb.at(m, k);
      const float* p = &power.data[size_t(k - k_lo) * size_t(frames)];
      for (int t = 0; t < frames; ++t) acc[t] += w * p[t];
    }
  }
  power_to_db(mel, cfg);
  return mel;
}

}  // namespace murmur::features
