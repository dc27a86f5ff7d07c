// The segmenter's observations and emission model, public so the model can be refitted:
// envelope features at 50 Hz per recording, and one logistic regression per state (Springer et
// al. 2016) giving P(state | features). tests/segment_emission_test.cpp refits the model on
// annotated recordings (PhysioNet 2016) and synthetic ones and prints the constants of emission.cpp.
//
//   murmur::segment::Features f = murmur::segment::envelope_features(pcm, 4000);  // [frames][8]
//   std::vector<int> labels = ...;                          // state 0..3 per frame, -1 = skip
//   murmur::segment::EmissionModel m = murmur::segment::fit_emissions({f}, {labels});
//   double lp = m.log_posterior(f.values[t], murmur::segment::State::kS2);
#pragma once

#include <array>
#include <string>
#include <vector>

#include "segment/segment.h"

namespace murmur::segment {

// Per frame (kFrameRateHz), each z-scored over the recording: homomorphic envelope, Hilbert
// envelope, 40-60 Hz band power, 60-125 Hz band magnitude (Springer's PSD and wavelet features);
// then the homomorphic envelope 80 and 40 ms before and 40 and 80 ms after the frame.
inline constexpr int kNumFeatures = 8;
using FeatureVector = std::array<float, kNumFeatures>;

struct Features {
  std::vector<FeatureVector> values;  // one per frame
  std::vector<float> homomorphic;     // the homomorphic envelope per frame, before z-scoring
  int n_frames() const { return static_cast<int>(values.size()); }
};

// pcm at rate_hz (>= 1 kHz) -> 1 kHz, 25-400 Hz band-pass, spikes removed (Schmidt et al.),
// then the features. Throws murmur::Error naming `name` if the band holds no signal.
Features envelope_features(const std::vector<float>& pcm, int rate_hz, const std::string& name = "recording");

struct EmissionModel {
  // Per state: intercept then one weight per feature, for P(state | x) = sigmoid(w . [1, x]).
  std::array<std::array<double, kNumFeatures + 1>, kNumStates> weights{};
  std::array<double, kNumStates> prior{};  // share of training frames in each state
  // log P(state | x) - log P(state): log P(x | state) up to a term common to all states.
  double log_emission(const FeatureVector& x, State s) const;
};

// The models emission.cpp holds, each checked against its refit by tests/segment_emission_test.cpp:
// "physionet2016", the default, fitted on the 1,755 hand-annotated recordings of PhysioNet 2016's
// six sources; "synthetic", fitted on synthetic recordings (murmur's first segmenter). Throws
// murmur::Error naming the models there are for any other name.
const EmissionModel& physionet_emissions();
const EmissionModel& synthetic_emissions();
const EmissionModel& emissions_named(const std::string& name);

// One-vs-rest logistic regressions by Newton's method (IRLS) with a small ridge (l2) penalty;
// labels[r][t] in 0..3, or -1 for frames to leave out. Throws murmur::Error on mismatched sizes
// or a state with no frames.
EmissionModel fit_emissions(const std::vector<Features>& recordings, const std::vector<std::vector<int>>& labels,
                            double l2 = 1e-3);

}  // namespace murmur::segment
