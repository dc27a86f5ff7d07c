// Two runs side by side, with paired tests on the same patients: is run B really better than A?
//
//   auto a = murmur::eval::read_predictions_csv("runA/oof.csv", &classes);
//   auto b = murmur::eval::read_predictions_csv("runB/oof.csv");
//   nlohmann::json c = murmur::eval::compare_runs(a, b, classes);
//   double p = c["paired_bootstrap"]["p_value"];       // patient-level balanced accuracy, B - A
//   std::cout << murmur::eval::format_comparison(c);
//
// Both tests work on PATIENT-level predictions (each run fused its own way, eval/fusion.h):
// - paired bootstrap: resample patients with replacement (same draw for both runs, all repeats of
//   a drawn patient come along), difference = balanced_accuracy(B) - balanced_accuracy(A) on the
//   pooled rows; percentile interval; two-sided p = min(1, 2 (m + 1) / (n_resamples + 1)) with m
//   the number of resamples on the smaller side of 0 (differences equal to 0 count on both sides,
//   so identical runs give p = 1).
// - McNemar on per-patient correctness; with several repeats a patient's probabilities are first
//   averaged over repeats so that each patient counts once. Discordant pairs n01 (only A right)
//   and n10 (only B right): exact two-sided binomial test if n01 + n10 < exact_below, else
//   chi-square with continuity correction, 1 degree of freedom.
// - corrected resampled t-test (Nadeau & Bengio 2003, eval/stats.h) over per-(repeat, fold)
//   differences of patient balanced accuracy, n_test/n_train = 1/(k - 1): it includes training
//   variance, which the two tests above ignore (they treat each model as fixed). Needs the same
//   fold assignment in both runs, else reported as not applicable with the reason.
// The runs are compared on the (repeat, patient) pairs they share ("shared_patients"; none shared:
// murmur::Error), which must have the same true classes. A multi-label run (eval/multilabel.h)
// enters through five_class_view (its single-label patients); two multi-label runs also get a
// corrected t-test of multi-label macro AUROC over all shared patients.
// JSON "murmur.eval.compare/1": docs/schemas.md.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "eval/metrics.h"

namespace murmur::eval {

struct CompareConfig {
  std::string label_a = "A", label_b = "B";  // names shown in tables (run folders, say)
  BootstrapConfig bootstrap;                 // also used for each run's own intervals
  int exact_below = 25;                      // McNemar: exact binomial below this many discordant pairs
  Fusion fusion_a = Fusion::kMean, fusion_b = Fusion::kMean;  // each run's patient fusion

  void validate() const;  // "bootstrap.n_resamples: ...", "compare.exact_below: ..."
};

nlohmann::json compare_runs(const Predictions& a, const Predictions& b,
                            const std::vector<std::string>& class_names, const CompareConfig& cfg = {});
// Runs with their own class names (e.g. a multi-label run {"AR","AS","MR","MS"} against a 5-class
// run); single-label names must be the same set (order may differ).
nlohmann::json compare_runs(const Predictions& a, const std::vector<std::string>& class_names_a,
                            const Predictions& b, const std::vector<std::string>& class_names_b,
                            const CompareConfig& cfg = {});

// McNemar's test alone: n01 = only A right, n10 = only B right. Returns {statistic or NaN, p}.
struct McNemarResult {
  std::string method;  // "exact", "chi2_cc", or "none" (no discordant pair: p = 1)
  double statistic, p_value;
};
McNemarResult mcnemar(int n01, int n10, int exact_below = 25);

// Plain-text side-by-side table of a compare_runs() result, for the CLI.
std::string format_comparison(const nlohmann::json& comparison);

}  // namespace murmur::eval
