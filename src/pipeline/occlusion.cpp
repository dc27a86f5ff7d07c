#include "pipeline/occlusion.h"

#include <algorithm>

namespace murmur::pipeline {

void occlude(float* mel, int n_mels, int frames, double hop_s, const std::vector<double>& band_hz, float level,
             const Occlusion& o) {
  for (int k = 0; k < frames; ++k) {
    const double t = double(k) * hop_s;
    for (const auto& [a, b] : o.spans_s)
      if (t >= a && t < b) {
        for (int r = 0; r < n_mels; ++r) mel[size_t(r) * size_t(frames) + size_t(k)] = level;
        break;
      }
  }
  if (o.hi_hz > o.lo_hz)
    for (int r = 0; r < n_mels && r < int(band_hz.size()); ++r)
      if (band_hz[size_t(r)] >= o.lo_hz && band_hz[size_t(r)] < o.hi_hz)
        std::fill(mel + size_t(r) * size_t(frames), mel + size_t(r + 1) * size_t(frames), level);
}

}  // namespace murmur::pipeline
