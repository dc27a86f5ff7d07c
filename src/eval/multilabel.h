// Multi-label evaluation (one independent probability per valve disease, normal = none): per
// disease AUROC, average precision, sensitivity/specificity at the fold's threshold, exact match,
// Hamming loss, any-disease screening and label-set confusion, recording and patient level with
// intervals that resample PATIENTS; and the 5-class question answered by such a model.
//
//   std::vector<std::string> labels = {"AR", "AS", "MR", "MS"};        // no "N": multi-label
//   nlohmann::json m = murmur::eval::evaluate_multilabel(oof, labels, boot);
//   double ap = m["patient"]["per_class"][0]["average_precision"]["value"];  // docs/schemas.md
//   auto five = murmur::eval::five_class_view(oof, labels);    // single-label rows, 5-class probs
//   nlohmann::json m5 = murmur::eval::evaluate(five, murmur::data::kClassNames, boot);
//
// Definitions:
// - A row is predicted positive for label k iff probs[k] >= thresholds[k] (0.5 without thresholds).
// - Patient rows: one per (repeat, patient), probs = per-label MEAN of its recordings'; true
//   labels, thresholds and fold from its recordings (they must agree, else murmur::Error).
// - average_precision = sklearn average_precision_score: sum_n (R_n - R_{n-1}) P_n over distinct
//   scores, descending; NaN without positives. AUROC as roc_auc (metrics.h); macro = mean of defined.
// - exact_match = share of rows whose predicted label set equals the true set; hamming_loss = share
//   of (row, label) decisions that are wrong.
// - any_disease: truth = at least one label, decision = at least one label predicted; its AUROC
//   uses the score 1 - prod_k (1 - p_k).
// - Bootstrap as evaluate() (metrics.h): patients drawn with replacement, percentile intervals.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "eval/metrics.h"

namespace murmur::eval {

// Precision-recall points at distinct scores, descending (sklearn precision_recall_curve with
// drop_intermediate), starting at recall 0, precision 1. Empty without positives.
struct PrCurve {
  std::vector<double> recall, precision, thresholds;  // thresholds[0] = +inf
};
double average_precision(const std::vector<bool>& is_positive, const std::vector<double>& score);
PrCurve pr_curve(const std::vector<bool>& is_positive, const std::vector<double>& score);

// Point metrics of one set of multi-label rows (no intervals); NaN where undefined.
struct MultiLabelMetrics {
  int n_rows = 0, n_labels = 0;
  std::vector<int> support;  // [K] rows with the label
  std::vector<double> auroc, average_precision, sensitivity, specificity;  // [K]
  double macro_auroc = 0, macro_average_precision = 0, exact_match = 0, hamming_loss = 0;
  int any_support = 0, n_normal = 0;  // rows with at least one label / with none
  double any_sensitivity = 0, any_specificity = 0, any_auroc = 0;
};
// Throws murmur::Error on a row without n_labels probabilities or with bad labels/thresholds.
MultiLabelMetrics compute_multilabel_metrics(const Predictions& rows, int n_labels);

// One row per (repeat, patient), sorted by (repeat, patient); file/site/position empty.
Predictions aggregate_patients_multilabel(const Predictions& recordings);

// "murmur.eval.multilabel/1" JSON (docs/schemas.md). Deterministic for a given seed.
nlohmann::json evaluate_multilabel(const Predictions& recordings,
                                   const std::vector<std::string>& class_names,
                                   const BootstrapConfig& boot = {});

// The 5-class question under label independence, for rows with at most one true label: probs in
// data::kClassNames order {"AR","AS","MR","MS","N"}: P(N) = prod_k (1 - p_k), P(only k) =
// p_k prod_{j!=k} (1 - p_j), renormalised to sum 1 (p clamped to [1e-7, 1 - 1e-7] first);
// true_class = the disease's index, or 4 for normal; true_labels and thresholds cleared. Rows with
// two or more labels, or a valve label their source does not say, are dropped. class_names must
// hold AR, AS, MR and MS (murmur::Error); other outputs (pooled's) are left out first (valve_rows).
Predictions five_class_view(const Predictions& multilabel, const std::vector<std::string>& class_names);
// Multi-label rows restricted to the four valve diseases in data::kClassNames order (AR, AS, MR,
// MS): probabilities, thresholds, true and unknown labels of the other outputs dropped.
// murmur::Error unless class_names holds all four.
Predictions valve_rows(const Predictions& multilabel, const std::vector<std::string>& class_names);
bool has_valve_outputs(const std::vector<std::string>& class_names);  // AR, AS, MR and MS among them

}  // namespace murmur::eval
