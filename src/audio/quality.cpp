#include "audio/quality.h"

#include <cmath>

#include "util/check.h"

namespace murmur::audio {

namespace {

// Energy above cutoff_hz over total energy, with an RBJ-cookbook 2nd-order Butterworth
// high-pass (Q = 1/sqrt(2)); a filter rather than an FFT so windows of any length work alike.
double high_band_fraction(const std::vector<float>& x, int rate_hz, double cutoff_hz) {
  if (cutoff_hz >= rate_hz / 2.0) return 0;
  const double w0 = 2 * M_PI * cutoff_hz / rate_hz, alpha = std::sin(w0) / (2 * M_SQRT1_2);
  const double c = std::cos(w0), a0 = 1 + alpha;
  const double b0 = (1 + c) / 2 / a0, b1 = -(1 + c) / a0, b2 = b0, a1 = -2 * c / a0, a2 = (1 - alpha) / a0;
  double x1 = 0, x2 = 0, y1 = 0, y2 = 0, high = 0, total = 0;
  for (float s : x) {
    if (!std::isfinite(s)) s = 0;  // counted by assess_quality; 0 keeps the filter finite
    double y = b0 * s + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
    x2 = x1, x1 = s, y2 = y1, y1 = y;
    high += y * y;
    total += double(s) * s;
  }
  return total > 0 ? high / total : 0;
}

}  // namespace

void StreamConfig::validate() const {
  util::check_setting(window_s > 0 && window_s <= 600, "--window-s", "must be in (0, 600] s", window_s);
  util::check_setting(hop_s > 0 && hop_s <= window_s, "--hop-s", "must be in (0, window_s]", hop_s);
  util::check_setting(clip_level > 0 && clip_level <= 1, "--clip-level", "must be in (0, 1]", clip_level);
  util::check_setting(clip_max_fraction >= 0 && clip_max_fraction <= 1, "--clip-max-fraction",
                      "must be in [0, 1]", clip_max_fraction);
  util::check_setting(silence_rms >= 0, "--silence-rms", "must be >= 0", silence_rms);
  util::check_setting(noise_cutoff_hz > 0, "--noise-cutoff-hz", "must be > 0", noise_cutoff_hz);
  util::check_setting(noise_max_fraction >= 0 && noise_max_fraction <= 1, "--noise-max-fraction",
                      "must be in [0, 1]", noise_max_fraction);
}

void to_json(nlohmann::json& j, const StreamConfig& c) {
  j = {{"window_s", c.window_s}, {"hop_s", c.hop_s}, {"clip_level", c.clip_level},
       {"clip_max_fraction", c.clip_max_fraction}, {"silence_rms", c.silence_rms},
       {"noise_cutoff_hz", c.noise_cutoff_hz}, {"noise_max_fraction", c.noise_max_fraction}};
}

void to_json(nlohmann::json& j, const Quality& q) {
  j = {{"status", q.status}, {"rms", q.rms}, {"clipped_fraction", q.clipped_fraction},
       {"high_band_fraction", q.high_band_fraction}};
}

Quality assess_quality(const std::vector<float>& window, int rate_hz, const StreamConfig& cfg) {
  Quality q;
  if (window.empty()) {
    q.status = "silence";
    return q;
  }
  double sum2 = 0;
  size_t clipped = 0;
  for (float s : window) {
    if (!std::isfinite(s)) {
      ++q.non_finite;
      continue;
    }
    sum2 += double(s) * s;
    if (std::fabs(s) >= cfg.clip_level) ++clipped;
  }
  const size_t finite = window.size() - q.non_finite;
  q.rms = finite ? std::sqrt(sum2 / double(finite)) : 0;
  q.clipped_fraction = finite ? double(clipped) / double(finite) : 0;
  q.high_band_fraction = high_band_fraction(window, rate_hz, cfg.noise_cutoff_hz);
  if (q.non_finite > 0) q.status = "non-finite";
  else if (q.clipped_fraction > cfg.clip_max_fraction) q.status = "clipping";
  else if (q.rms < cfg.silence_rms) q.status = "silence";
  else if (q.high_band_fraction > cfg.noise_max_fraction) q.status = "noisy";
  return q;
}

}  // namespace murmur::audio
