// Pieces shared by the files of src/eval (metrics, bootstrap, CSV, reports, compare); not part of
// the public API.
//
//   RowSet set(rows, k);                                  // sorted once per class
//   auto groups = patient_groups(rows);                   // a patient's rows
//   auto draws = bootstrap_scalars(set, groups, boot);    // [resample][scalar_vector index]
//   auto [lo, hi] = percentile_interval(column, 0.95, boot.n_resamples);
#pragma once

#include <functional>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "eval/metrics.h"
#include "eval/multilabel.h"

namespace murmur::eval {

// Rows pre-sorted once per class so that a bootstrap resample (a weight per row = how many times
// its patient was drawn) is scored in O(rows) per class without copying or re-sorting.
struct RowSet {
  int k = 0, n = 0;
  std::vector<int> y, pred;
  std::vector<double> score;                  // [n, k]
  std::vector<std::vector<int>> order;        // per class: row indices by descending score
  std::vector<std::vector<char>> tie_start;   // per class: order[j] starts a new score value

  RowSet(const Predictions& rows, int n_classes);
  ClassMetrics metrics(const std::vector<int>& weights) const;
};

// The multi-label counterpart (eval/multilabel.h): columns 0..k-1 the labels, column k the
// any-disease score 1 - prod(1 - p); truth/decision per row and label.
struct LabelRowSet {
  int k = 0, n = 0;
  std::vector<char> truth, decision;          // [n, k]
  std::vector<double> score;                  // [n, k + 1]
  std::vector<std::vector<int>> order;        // per column: row indices by descending score
  std::vector<std::vector<char>> tie_start;
  LabelRowSet(const Predictions& rows, int n_labels);
  MultiLabelMetrics metrics(const std::vector<int>& weights) const;
};
// macro_auroc, macro_average_precision, exact_match, hamming_loss, any_sensitivity,
// any_specificity, any_auroc, then per label auroc, average_precision, sensitivity, specificity.
std::vector<double> multilabel_scalars(const MultiLabelMetrics& m);

// accuracy, balanced_accuracy, macro_f1, macro_auroc, then per class
// sensitivity, specificity, precision, f1, auroc.
std::vector<double> scalar_vector(const ClassMetrics& m);

struct Rng {
  std::mt19937_64 engine;
  explicit Rng(uint64_t seed) : engine(seed) {}
  uint64_t below(uint64_t n);  // uniform in [0, n)
};

// Percentile interval of the non-NaN values; NaNs if fewer than half of n_resamples are defined.
std::pair<double, double> percentile_interval(std::vector<double> values, double confidence,
                                              int n_resamples);

// Row indices of each patient (sorted by patient id).
std::vector<std::vector<int>> patient_groups(const Predictions& rows);

// Recording rows by (repeat, patient), in that order; murmur::Error for a row without a patient id.
using RowsByPatient = std::map<std::pair<int, std::string>, std::vector<const Prediction*>>;
RowsByPatient rows_by_patient(const Predictions& recordings);

// Mean of the values that are not NaN; NaN if there are none (macro averages).
double mean_of_defined(const std::vector<double>& v);

// [resample][scalars(weights) index]: per resample, weights[i] = how many times row i's patient
// was drawn; empty if n_resamples == 0. The RNG stream of bootstrap_scalars.
std::vector<std::vector<double>> bootstrap_draws(
    int n_rows, const std::vector<std::vector<int>>& groups, const BootstrapConfig& boot,
    const std::function<std::vector<double>(const std::vector<int>&)>& scalars);

// [resample][scalar_vector index]; empty if n_resamples == 0.
std::vector<std::vector<double>> bootstrap_scalars(const RowSet& set,
                                                   const std::vector<std::vector<int>>& groups,
                                                   const BootstrapConfig& boot);

nlohmann::json number_or_null(double x);

// A Stat {"value", "ci_low", "ci_high"}: value, and the interval of draws[.][index].
nlohmann::json stat_json(double value, const std::vector<std::vector<double>>& draws, size_t index,
                         const BootstrapConfig& boot);

// Throws murmur::Error "predictions: <file>: ..." if a row has not k probabilities or its
// true_class is outside 0..k-1.
void check_rows(const Predictions& rows, int k);
// Multi-label rows: k probabilities, true_labels ascending in 0..k-1, thresholds empty or [k].
void check_multilabel_rows(const Predictions& rows, int k);
// "AR+AS" (class_names order) or "N" for no label.
std::string label_set_name(const std::vector<int>& labels, const std::vector<std::string>& class_names);

}  // namespace murmur::eval
