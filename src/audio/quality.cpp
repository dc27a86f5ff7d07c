#include "audio/quality.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "util/check.h"

namespace murmur::audio {

namespace {

// The energy of the finite samples, and of what an RBJ-cookbook 2nd-order Butterworth
// high-pass (Q = 1/sqrt(2)) at cutoff_hz leaves of them; a filter rather than an FFT so windows
// of any length work alike.
// The recursion is serial, so the signal is filtered as four parts side by side (the CPU overlaps
// their dependency chains): each part after the first starts `warm` samples early from rest,
// enough for the filter's memory of the real start to fall under 1e-20 of it (the poles' radius
// r = sqrt(a2): r^warm < 1e-20), and counts energy from its own first sample on.
struct Energy {
  double total = 0, high = 0;
};

Energy band_energy(const std::vector<float>& x, int rate_hz, double cutoff_hz) {
  auto sample = [&](size_t i) { const float s = x[i]; return std::isfinite(s) ? double(s) : 0.0; };  // non-finite: counted by assess_quality; 0 keeps the filter finite
  if (cutoff_hz >= rate_hz / 2.0) {  // nothing above the cutoff
    Energy e;
    for (size_t i = 0; i < x.size(); ++i) e.total += sample(i) * sample(i);
    return e;
  }
  const double w0 = 2 * M_PI * cutoff_hz / rate_hz, alpha = std::sin(w0) / (2 * M_SQRT1_2);
  const double c = std::cos(w0), a0 = 1 + alpha;
  const double b0 = (1 + c) / 2 / a0, b1 = -(1 + c) / a0, b2 = b0, a1 = -2 * c / a0, a2 = (1 - alpha) / a0;
  const double radius = std::sqrt(std::max(a2, 1e-300));
  const size_t warm = size_t(std::min(1e7, std::ceil(std::log(1e-20) / std::log(std::min(radius, 1 - 1e-12)))));
  constexpr int kParts = 4;
  const size_t n = x.size(), part = (n + kParts - 1) / kParts;
  struct State { double x1 = 0, x2 = 0, y1 = 0, y2 = 0, high = 0, total = 0; };
  State st[kParts];
  size_t begin[kParts], end[kParts], at[kParts];  // a part's samples [begin, end); its filter starts at `at`
  for (int p = 0; p < kParts; ++p) {
    begin[p] = std::min(n, size_t(p) * part), end[p] = std::min(n, begin[p] + part);
    at[p] = p == 0 ? 0 : begin[p] - std::min(begin[p], warm);
  }
  auto step = [&](State& q, double s) {
    const double y = b0 * s + b1 * q.x1 + b2 * q.x2 - a1 * q.y1 - a2 * q.y2;
    q.x2 = q.x1, q.x1 = s, q.y2 = q.y1, q.y1 = y;
    return y;
  };
  auto count = [&](State& q, size_t i) {  // a sample of the part's own: its energy, and above cutoff
    const double s = sample(i), y = step(q, s);
    q.high += y * y, q.total += s * s;
  };
  // Each part's warm-up; then the four parts a sample at a time for the length they all have
  // (constant indices: the states stay in registers); then what the longer parts have left.
  for (int p = 1; p < kParts; ++p)
    for (; at[p] < begin[p]; ++at[p]) step(st[p], sample(at[p]));
  const size_t common = end[kParts - 1] - begin[kParts - 1];
  for (size_t i = 0; i < common; ++i) {
    count(st[0], begin[0] + i), count(st[1], begin[1] + i);
    count(st[2], begin[2] + i), count(st[3], begin[3] + i);
  }
  for (int p = 0; p < kParts; ++p)
    for (size_t i = begin[p] + common; i < end[p]; ++i) count(st[p], i);
  Energy e;
  for (const State& q : st) e.high += q.high, e.total += q.total;
  return e;
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
  // Counts in one pass that vectorises (NaN and infinities fail <=); the energies in another.
  size_t clipped = 0, non_finite = 0;
  for (float s : window) {
    const float v = std::fabs(s);
    const bool finite = v <= std::numeric_limits<float>::max();
    non_finite += !finite;
    clipped += finite && double(v) >= cfg.clip_level;
  }
  q.non_finite = non_finite;
  const Energy e = band_energy(window, rate_hz, cfg.noise_cutoff_hz);
  const size_t finite = window.size() - q.non_finite;
  q.rms = finite ? std::sqrt(e.total / double(finite)) : 0;
  q.clipped_fraction = finite ? double(clipped) / double(finite) : 0;
  q.high_band_fraction = e.total > 0 ? e.high / e.total : 0;
  if (q.non_finite > 0) q.status = "non-finite";
  else if (q.clipped_fraction > cfg.clip_max_fraction) q.status = "clipping";
  else if (q.rms < cfg.silence_rms) q.status = "silence";
  else if (q.high_band_fraction > cfg.noise_max_fraction) q.status = "noisy";
  return q;
}

}  // namespace murmur::audio
