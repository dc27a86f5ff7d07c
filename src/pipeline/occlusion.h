// What an explanation masks (pipeline/explanation.h): the frames of some time spans and the
// bands of one frequency range of a log-mel, set to one level. Preset::occluded does it on
// LibTorch's tensors, infer::NativePredictor on plain floats; both call occlude().
//
//   Occlusion o{{{0.10, 0.42}, {0.95, 1.30}}, 0, 0};   // the systolic spans, no band
//   occlude(mel.data(), n_mels, frames, hop_s, features::mel_band_peak_hz(cfg), 0.f, o);
#pragma once

#include <utility>
#include <vector>

namespace murmur::pipeline {

struct Occlusion {
  std::vector<std::pair<double, double>> spans_s;  // frames centred in any [a, b) are masked
  double lo_hz = 0, hi_hz = 0;                     // bands centred in [lo_hz, hi_hz) (none if hi <= lo)
};

// In place on mel [n_mels][frames] (row-major), frame k centred at k * hop_s, band b at
// band_hz[b]: the masked cells := level.
void occlude(float* mel, int n_mels, int frames, double hop_s, const std::vector<double>& band_hz, float level,
             const Occlusion& o);

}  // namespace murmur::pipeline
