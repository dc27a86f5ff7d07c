// The segmenter's observations: band-pass, spike removal and four envelopes at 50 Hz
// (Springer et al. 2016, section II; Schmidt et al. 2010 for the spike removal).
#include <kiss_fft.h>
#include <kiss_fftr.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "audio/audio.h"
#include "features/biquad.h"
#include "segment/emission.h"
#include "util/error.h"

namespace murmur::segment {

namespace {

using features::Biquad;
using features::filtfilt;
using features::kButterworth4Q;

constexpr int kWorkRateHz = 1000;  // Springer's rate: the heart-sound band ends near 400 Hz
constexpr int kFrame = static_cast<int>(kWorkRateHz / kFrameRateHz);  // 20 samples per frame
constexpr int kContextFrames[4] = {-4, -2, 2, 4};
static_assert(kNumFeatures == 4 + 4, "four envelopes and four context values");

// 4th-order Butterworth sections (run forward and backward: 8th-order magnitude, zero phase).
std::vector<Biquad> butterworth4(bool high, double fc_hz) {
  std::vector<Biquad> s;
  for (double q : kButterworth4Q)
    s.push_back(high ? Biquad::high_pass(fc_hz, q, kWorkRateHz) : Biquad::low_pass(fc_hz, q, kWorkRateHz));
  return s;
}

// Schmidt et al. 2010: while a 500 ms window's largest magnitude exceeds 3x the median of all
// windows' largest magnitudes, zero its peak from the zero crossing before to the one after.
// Frictional spikes and stethoscope bumps would otherwise dominate the z-scored envelopes.
void remove_spikes(std::vector<double>& x) {
  const size_t win = kWorkRateHz / 2, n_win = x.size() / win;
  if (n_win < 2) return;
  auto window_max = [&](size_t w) {
    double m = 0;
    for (size_t i = w * win; i < (w + 1) * win; ++i) m = std::max(m, std::abs(x[i]));
    return m;
  };
  std::vector<double> maa(n_win);
  for (size_t w = 0; w < n_win; ++w) maa[w] = window_max(w);
  std::vector<double> sorted = maa;
  std::nth_element(sorted.begin(), sorted.begin() + n_win / 2, sorted.end());
  const double limit = 3 * sorted[n_win / 2];
  for (size_t iter = 0; iter < x.size() / 8; ++iter) {  // each pass zeroes at least one sample
    size_t w = std::max_element(maa.begin(), maa.end()) - maa.begin();
    if (!(maa[w] > limit)) break;
    size_t peak = w * win;
    for (size_t i = w * win; i < (w + 1) * win; ++i)
      if (std::abs(x[i]) > std::abs(x[peak])) peak = i;
    size_t lo = peak, hi = peak;
    while (lo > 0 && (x[lo - 1] > 0) == (x[peak] > 0) && x[lo - 1] != 0) --lo;
    while (hi + 1 < x.size() && (x[hi + 1] > 0) == (x[peak] > 0) && x[hi + 1] != 0) ++hi;
    std::fill(x.begin() + lo, x.begin() + hi + 1, 0.0);
    maa[w] = window_max(w);
  }
}

struct FftrFree {
  void operator()(kiss_fftr_state* s) const { kiss_fftr_free(s); }
};
struct FftFree {
  void operator()(kiss_fft_state* s) const { kiss_fft_free(s); }
};

// |analytic signal| through the FFT (MATLAB's hilbert): keep DC and Nyquist, double the positive
// frequencies, drop the negative ones. Zero-padded to a size kissfft factors quickly.
std::vector<double> hilbert_envelope(const std::vector<double>& x) {
  const int n = kiss_fftr_next_fast_size_real(static_cast<int>(x.size()));
  // Plans kept per thread for the last size: their twiddle tables cost as much as the FFTs, and
  // a batch sees one length again and again.
  struct Plans {
    int n = 0;
    std::unique_ptr<kiss_fftr_state, FftrFree> fwd;
    std::unique_ptr<kiss_fft_state, FftFree> inv;
  };
  thread_local Plans plans;
  if (plans.n != n) {
    plans.fwd.reset(kiss_fftr_alloc(n, 0, nullptr, nullptr));
    plans.inv.reset(kiss_fft_alloc(n, 1, nullptr, nullptr));
    plans.n = n;
  }
  kiss_fftr_state* fwd = plans.fwd.get();
  kiss_fft_state* inv = plans.inv.get();
  std::vector<kiss_fft_scalar> in(n, 0);
  for (size_t i = 0; i < x.size(); ++i) in[i] = static_cast<kiss_fft_scalar>(x[i]);
  std::vector<kiss_fft_cpx> spec(n), z(n);
  kiss_fftr(fwd, in.data(), spec.data());  // bins 0..n/2
  for (int k = 1; k < n / 2; ++k) spec[k] = {2 * spec[k].r, 2 * spec[k].i};
  for (int k = n / 2 + 1; k < n; ++k) spec[k] = {0, 0};
  kiss_fft(inv, spec.data(), z.data());
  std::vector<double> env(x.size());
  for (size_t i = 0; i < x.size(); ++i) env[i] = std::sqrt(double(z[i].r) * z[i].r + double(z[i].i) * z[i].i) / n;
  return env;
}

// Mean of f(sample) over each 20-sample frame (a box anti-alias filter before decimation).
template <class F>
std::vector<float> per_frame(const std::vector<double>& x, int n_frames, F f) {
  std::vector<float> out(n_frames);
  for (int t = 0; t < n_frames; ++t) {
    double s = 0;
    for (int i = t * kFrame; i < (t + 1) * kFrame; ++i) s += f(x[i]);
    out[t] = static_cast<float>(s / kFrame);
  }
  return out;
}

// x through two 4th-order Butterworth band-passes, forward and backward, in one loop: the two
// cascades are independent, so the CPU overlaps them (as filtfilt does with its sections).
std::pair<std::vector<double>, std::vector<double>> two_bands(const std::vector<double>& x, double lo1_hz,
                                                               double hi1_hz, double lo2_hz, double hi2_hz) {
  auto cascade = [](double lo_hz, double hi_hz) {
    std::vector<Biquad> s = butterworth4(true, lo_hz);
    for (auto& b : butterworth4(false, hi_hz)) s.push_back(b);
    return s;
  };
  std::vector<Biquad> a = cascade(lo1_hz, hi1_hz), b = cascade(lo2_hz, hi2_hz);
  std::vector<double> ya = x, yb = x;
  const long n = static_cast<long>(x.size());
  for (int pass = 0; pass < 2; ++pass) {
    for (auto& s : a) s.reset();
    for (auto& s : b) s.reset();
    for (long k = 0; k < n; ++k) {
      const long i = pass == 0 ? k : n - 1 - k;
      double va = ya[i], vb = yb[i];
      for (size_t j = 0; j < a.size(); ++j) va = a[j](va), vb = b[j](vb);
      ya[i] = va;
      yb[i] = vb;
    }
  }
  return {std::move(ya), std::move(yb)};
}

}  // namespace

Features envelope_features(const std::vector<float>& pcm, int rate_hz, const std::string& name) {
  // An offset would start the resampler and the high-pass with a step; removed first, a constant
  // recording becomes exact zeros and is refused below.
  double dc = 0;
  for (float v : pcm) dc += v;
  dc /= std::max<size_t>(1, pcm.size());
  std::vector<float> centred(pcm.size());
  for (size_t i = 0; i < pcm.size(); ++i) centred[i] = static_cast<float>(pcm[i] - dc);
  // 20 ms raised-cosine fades: a recording that starts or stops mid-sound would otherwise ring
  // the filters and put a false sound at each edge.
  const size_t fade = std::min(pcm.size() / 2, static_cast<size_t>(0.02 * rate_hz));
  for (size_t i = 0; i < fade; ++i) {
    float g = static_cast<float>(0.5 - 0.5 * std::cos(3.14159265358979 * (i + 0.5) / fade));
    centred[i] *= g;
    centred[pcm.size() - 1 - i] *= g;
  }
  std::vector<float> at_1k = audio::resample(centred, rate_hz, kWorkRateHz);
  std::vector<double> x(at_1k.begin(), at_1k.end());
  auto sections = butterworth4(true, 25);
  for (auto& s : butterworth4(false, 400)) sections.push_back(s);
  filtfilt(x, sections);
  remove_spikes(x);
  double energy = 0;
  for (double v : x) energy += v * v;
  // 1e-12 of full-scale power: a recording whose 25-400 Hz band holds less has no heart sounds.
  if (!(energy / std::max<size_t>(1, x.size()) > 1e-12))
    throw Error(name + ": no signal in the heart-sound band (25-400 Hz): silent or only drift");

  const int n_frames = static_cast<int>(x.size() / kFrame);
  std::vector<double> hilbert = hilbert_envelope(x);
  // Homomorphic envelope: exp(low-pass(log envelope)), the low-pass at 8 Hz (Springer: 1st
  // order; a 2nd-order section is steeper against the S1 ringing, zero phase either way).
  std::vector<double> log_env(hilbert.size());
  const double floor = 1e-10;
  for (size_t i = 0; i < hilbert.size(); ++i) log_env[i] = std::log(hilbert[i] + floor);
  filtfilt(log_env, {Biquad::low_pass(8, std::sqrt(0.5), kWorkRateHz)});
  auto identity = [](double v) { return v; };
  Features f;
  f.homomorphic = per_frame(log_env, n_frames, [](double v) { return std::exp(v); });
  const auto [band_40_60, band_60_125] = two_bands(x, 40, 60, 60, 125);
  std::vector<std::vector<float>> columns = {
      f.homomorphic, per_frame(hilbert, n_frames, identity),
      per_frame(band_40_60, n_frames, [](double v) { return v * v; }),
      per_frame(band_60_125, n_frames, [](double v) { return std::abs(v); })};
  f.values.assign(n_frames, FeatureVector{});
  for (size_t k = 0; k < columns.size(); ++k) {
    double mean = 0, var = 0;
    for (float v : columns[k]) mean += v;
    mean /= std::max(1, n_frames);
    for (float v : columns[k]) var += (v - mean) * (v - mean);
    double sd = std::sqrt(var / std::max(1, n_frames));
    for (int t = 0; t < n_frames; ++t) f.values[t][k] = static_cast<float>(sd > 0 ? (columns[k][t] - mean) / sd : 0);
  }
  // Context: the z-scored homomorphic envelope 80 and 40 ms before and after the frame, so a
  // linear model sees a sound's rise and fall (an onset, a peak, a tail), not just its level.
  int next = static_cast<int>(columns.size());
  for (int lag : kContextFrames) {
    for (int t = 0; t < n_frames; ++t) f.values[t][next] = f.values[std::clamp(t + lag, 0, n_frames - 1)][0];
    ++next;
  }
  return f;
}

}  // namespace murmur::segment
