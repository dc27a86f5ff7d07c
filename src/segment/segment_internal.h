// Pieces of the segmenter shared by its .cpp files: heart-rate hypotheses from the envelope's
// autocorrelation, state-duration models, and the duration Viterbi. Not public.
//
//   auto hyps = rate_hypotheses(features.homomorphic, cfg);    // likeliest first
//   Path p = decode(log_emissions, durations_for(hyps[0], cfg));
#pragma once

#include <array>
#include <vector>

#include "segment/segment.h"

namespace murmur::segment::detail {

struct RateHypothesis {
  double heart_rate_bpm = 0, systolic_interval_s = 0;
  double autocorrelation = 0;  // at the period's lag, normalised by lag 0
};

// S1 onset to S2 onset from the heart rate: Weissler's electromechanical systole QS2 = 546 -
// 2.1 HR ms (Weissler et al. 1968) less ~55 ms from Q to S1's onset.
double expected_systolic_interval_s(double heart_rate_bpm);

// Peaks of the homomorphic envelope's autocorrelation between the config's heart-rate bounds,
// highest first (at most cfg.max_candidates periods), each with its strongest autocorrelation
// peaks in the systole's range as systolic intervals (at most max_systole_candidates).
std::vector<RateHypothesis> rate_hypotheses(const std::vector<float>& homomorphic, const SegmentConfig& cfg);

// A discrete duration distribution in frames: Gaussian over [min_frames, max_frames].
struct Duration {
  int min_frames = 1, max_frames = 1;
  std::vector<double> log_p;         // index d - min_frames
  std::vector<double> log_survival;  // index d - 1 for d in 1..max_frames: log P(D >= d)
};
using Durations = std::array<Duration, kNumStates>;

Durations durations_for(const RateHypothesis& h, const SegmentConfig& cfg);

struct Path {
  std::vector<State> states;  // one per frame
  double log_likelihood = 0;
};

// Most likely state sequence of the cyclic semi-Markov chain S1 -> systole -> S2 -> diastole
// given per-frame log emissions [frames][state]. The first and last segments may be cut by the
// recording's edges: they are scored with the survival function instead of the duration density.
Path decode(const std::vector<std::array<double, kNumStates>>& log_emissions, const Durations& durations);

}  // namespace murmur::segment::detail
