// Do the probabilities mean what they say? Temperature scaling fitted on validation recordings
// (Guo et al., ICML 2017), applied to a recording's pooled probabilities: p_T[c] ∝ p[c]^(1/T),
// which keeps every recording's and (geometric fusion) every patient's argmax. Expected
// calibration error and reliability bins of the top-label confidence, and selective accuracy:
// how accurate the answers are when murmur answers only above a confidence, and how many it
// then declines. Single-label rows only (true_class >= 0).
//
//   double t = fit_temperature(val_probs, val_labels);          // minimises the NLL, T in [0.05, 20]
//   std::vector<float> q = apply_temperature(p, t);              // t = 1: p itself
//   nlohmann::json c = calibration_json(oof, classes, Fusion::kGeometric, {{"0/3", 1.7}});
//
// calibration_json: {"n_bins", "recording": Level, "patient": Level, "temperatures": {"repeat/fold": T},
// "uncalibrated": {"recording": Level, "patient": Level} (when temperatures are given: the rows
// with each fold's T undone)}, Level = {"ece", "n", "bins": [{"lo", "hi", "n", "confidence",
// "accuracy"}], "selective": [{"min_confidence", "coverage", "accuracy", "n_answered"}]}.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "eval/fusion.h"
#include "eval/predictions.h"

namespace murmur::eval {

// The T > 0 minimising the mean negative log-likelihood of labels under apply_temperature (golden
// section on log T over [0.05, 20]); 1 when there is nothing to fit. murmur::Error if sizes differ.
double fit_temperature(const std::vector<std::vector<float>>& probs, const std::vector<int>& labels);
std::vector<float> apply_temperature(const std::vector<float>& probs, double temperature);

// Expected calibration error of top-label confidences over n_bins equal-width bins.
double expected_calibration_error(const std::vector<double>& confidence, const std::vector<bool>& correct,
                                  int n_bins = 10);

// temperatures: "repeat/fold" -> the T that fold's model applied (to report the figures before it).
nlohmann::json calibration_json(const Predictions& rows, const std::vector<std::string>& class_names, Fusion fusion,
                                const std::map<std::string, double>& temperatures = {}, int n_bins = 10);

}  // namespace murmur::eval
