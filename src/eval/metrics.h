// Honest evaluation of out-of-fold predictions: recording and patient level, 95% bootstrap
// intervals that resample PATIENTS (a patient's 8 recordings are not 8 independent samples),
// per-site / per-position breakdowns and fold-to-fold spread.
//
//   murmur::eval::BootstrapConfig boot;                  // 1000 resamples, seed 42, 95%
//   nlohmann::json m = murmur::eval::evaluate(oof, {"AR", "AS", "MR", "MS", "N"}, boot,
//                                             murmur::eval::Fusion::kGeometric);
//   double ba = m["patient"]["balanced_accuracy"]["value"];   // JSON: docs/schemas.md
//
// Definitions (sklearn's where one exists):
// - Predicted class = argmax of probs (first maximum on ties).
// - Patient level: one row per (repeat, patient); probs fused from that patient's recordings in
//   the same repeat (eval/fusion.h); true class = its recordings' (they must agree, else
//   murmur::Error); fold = its recordings' (-1 if they disagree: a warning, and the patient is
//   left out of the per-fold statistics). Several repeats: headline metrics pool all rows.
// - Sensitivity = recall; specificity = TN / (TN + FP), one-vs-rest; NaN (JSON null) when the
//   denominator is 0. balanced_accuracy = mean recall over classes present in y_true; macro_f1 as
//   sklearn f1_score(average="macro", zero_division=0); macro_auroc = mean of defined AUROCs.
// - AUROC: one-vs-rest, ties count 1/2 (= roc_auc_score); ROC points as roc_curve(drop_intermediate).
// - Bootstrap: n_resamples draws of the patient list with replacement, each patient bringing all
//   its rows; percentile interval over the resamples where the metric is defined, null if those
//   are fewer than half. Fold spread: per (repeat, fold) mean and sample sd (n - 1).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "eval/fusion.h"
#include "eval/predictions.h"

namespace murmur::eval {

struct BootstrapConfig {
  int n_resamples = 1000;     // 0 disables intervals (ci_low/ci_high null)
  uint64_t seed = 42;
  double confidence = 0.95;   // two-sided percentile interval
  void validate(const std::string& section = "bootstrap") const;  // "bootstrap.n_resamples: ..."
};
void to_json(nlohmann::json& j, const BootstrapConfig& c);
void from_json(const nlohmann::json& j, BootstrapConfig& c);  // ignores an old "patient_fusion"

struct RocCurve {
  std::vector<double> fpr, tpr, thresholds;  // thresholds[0] = +inf
};

// Point metrics of one set of rows (no intervals).
struct ClassMetrics {
  int n_rows = 0, n_classes = 0;
  double accuracy = 0, balanced_accuracy = 0, macro_f1 = 0, macro_auroc = 0;
  std::vector<int> support;                                   // [K] true count per class
  std::vector<double> sensitivity, specificity, precision, f1, auroc;  // [K], NaN if undefined
  std::vector<std::vector<int>> confusion;                    // [K][K], [true][predicted]
};

// Throws murmur::Error if a label is out of range or a probs vector is not of size n_classes.
ClassMetrics compute_metrics(const std::vector<int>& y_true,
                             const std::vector<std::vector<float>>& probs, int n_classes);
double roc_auc(const std::vector<bool>& is_positive, const std::vector<double>& score);  // NaN if one class
RocCurve roc_curve(const std::vector<bool>& is_positive, const std::vector<double>& score);
int predicted_class(const std::vector<float>& probs);

// One row per (repeat, patient), sorted by (repeat, patient); file/site/position empty.
// `warnings` (optional) receives a line per patient whose recordings sit in different folds.
Predictions aggregate_patients(const Predictions& recordings,
                               std::vector<std::string>* warnings = nullptr,
                               Fusion fusion = Fusion::kMean);

// Everything above as "murmur.eval.metrics/1" JSON. Deterministic for a given seed.
nlohmann::json evaluate(const Predictions& recordings, const std::vector<std::string>& class_names,
                        const BootstrapConfig& boot = {}, Fusion fusion = Fusion::kMean);

// One Level block for arbitrary rows; with_roc = false leaves out "roc".
nlohmann::json evaluate_level(const Predictions& rows, const std::vector<std::string>& class_names,
                              const BootstrapConfig& boot, bool with_roc = true);

}  // namespace murmur::eval
