// Octave band profile of a recording (band_profile.h).
#include "features/band_profile.h"

#include <cmath>
#include <limits>

#include "features/log_mel.h"

namespace murmur::features {

std::vector<double> band_profile_db(const std::vector<float>& pcm, int rate_hz, const std::vector<double>& edges_hz) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> out(edges_hz.size() > 1 ? edges_hz.size() - 1 : 0, nan);
  LogMelConfig cfg;
  cfg.sample_rate_hz = rate_hz;
  cfg.n_fft = 1;
  while (cfg.n_fft < rate_hz / 4) cfg.n_fft *= 2;  // ~0.25 s: 2 kHz -> 512, 4 kHz -> 1024
  cfg.hop = cfg.n_fft / 2;
  cfg.center = false;
  cfg.fmin_hz = 0;
  cfg.fmax_hz = float(rate_hz) / 2;  // unused by the power spectrum, but checked against Nyquist
  if (out.empty() || pcm.size() < size_t(cfg.n_fft)) return out;
  const Matrix p = power_spectrogram(pcm, cfg);
  const double bin_hz = double(rate_hz) / cfg.n_fft, nyquist = rate_hz / 2.0;
  std::vector<double> band(out.size(), 0.0);
  double total = 0;
  for (int b = 0; b < p.rows; ++b) {
    const double f = b * bin_hz;
    double mean = 0;
    for (int t = 0; t < p.cols; ++t) mean += p.at(b, t);
    mean /= p.cols;
    for (size_t k = 0; k < band.size(); ++k)
      if (f >= edges_hz[k] && f < edges_hz[k + 1]) band[k] += mean, total += mean;
  }
  if (!(total > 0)) return out;
  for (size_t k = 0; k < band.size(); ++k)
    if (edges_hz[k + 1] <= nyquist && band[k] > 0) out[k] = 10 * std::log10(band[k] / total);
  return out;
}

}  // namespace murmur::features
