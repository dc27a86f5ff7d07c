// Operating thresholds for multi-label outputs, chosen on validation patients (never on test).
//
//   eval::Predictions val = ...;   // validation recordings' rows (true_labels filled)
//   std::vector<float> t = eval::choose_thresholds(val, 4);   // one per output
//
// Per output: patients' probabilities are the mean of their recordings'; the threshold maximises
// Youden's J = sensitivity + specificity - 1 over midpoints between neighbouring patient scores
// (and below / above all of them); among equally good thresholds the median candidate is taken.
// An output whose validation patients are all positive or all negative keeps `fallback`. A
// recording whose output is unknown (Prediction::unknown_labels) does not count for it: a patient's
// score is the mean over the recordings that know it, positive if any of them is.
#pragma once

#include <vector>

#include "eval/predictions.h"

namespace murmur::eval {

std::vector<float> choose_thresholds(const Predictions& validation, int n_outputs, float fallback = 0.5f);

}  // namespace murmur::eval
