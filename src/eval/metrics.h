// Honest evaluation of out-of-fold predictions: recording level and patient level, with
// 95% bootstrap intervals that resample PATIENTS (never recordings: a patient's 8 recordings are
// not 8 independent samples), plus per-site / per-position breakdowns and fold-to-fold spread.
//
//   murmur::eval::Predictions oof = ...;                 // one row per (recording, repeat)
//   std::vector<std::string> classes = {"AR", "AS", "MR", "MS", "N"};
//   murmur::eval::BootstrapConfig boot;                  // 1000 resamples, seed 42, 95%
//   nlohmann::json m = murmur::eval::evaluate(oof, classes, boot);
//   double ba = m["patient"]["balanced_accuracy"]["value"];       // see "JSON schema" below
//   murmur::eval::write_predictions_csv("run/oof.csv", oof, classes);
//
// Definitions (sklearn's where one exists):
// - A row's predicted class is argmax of probs (first maximum on ties).
// - Patient level: one row per (repeat, patient); probs = mean of that patient's recordings' probs
//   in the same repeat; true class = its recordings' class (they must agree, else murmur::Error);
//   fold = its recordings' fold (-1 if they disagree, i.e. the split was not patient-grouped:
//   a warning is recorded and such patients are left out of the per-fold statistics).
// - Several repeats: the headline metrics pool all rows of all repeats (every patient weighs the
//   same, confusion counts are summed over repeats); "folds" gives the per-(repeat, fold) spread.
// - Sensitivity = recall, specificity = TN / (TN + FP), one-vs-rest. A metric whose denominator is
//   0 (e.g. AUROC of a class absent from a fold) is NaN, written as null in JSON.
// - balanced_accuracy = mean recall over classes present in y_true (sklearn balanced_accuracy_score);
//   macro_f1 = mean F1 over classes present in y_true or y_pred, F1 = 0 when TP = 0 (sklearn
//   f1_score(average="macro", zero_division=0)); macro_auroc = mean of the defined per-class AUROCs.
// - AUROC: one-vs-rest, ties count 1/2 (Mann-Whitney with midranks) = sklearn roc_auc_score.
// - ROC points: sklearn roc_curve(drop_intermediate=True), starting at (0, 0).
// - Bootstrap: n_resamples draws of the patient list with replacement (plain, not stratified),
//   each patient bringing all its rows (all recordings, all repeats); percentile interval;
//   resamples where a metric is NaN are skipped for that metric, and an interval resting on fewer
//   than half of the resamples is null rather than misleading.
// - Fold spread: metrics per (repeat, fold), then mean and sample standard deviation (n - 1).
//
// JSON schema ("murmur.eval.metrics/1"), produced by evaluate():
// {
//   "schema": "murmur.eval.metrics/1",
//   "class_names": ["AR", ...],
//   "bootstrap": {"n_resamples": 1000, "seed": 42, "confidence": 0.95},
//   "n_repeats": R, "n_folds": F, "n_patients": P, "n_recordings": distinct files,
//   "warnings": ["..."],
//   "recording": Level, "patient": Level,
//   "by_site":     {"Aor": Level, "Mit": Level, ...},     // recording level, rows of that site,
//   "by_position": {"sit": Level, "sup": Level},          // without "roc"
//   "folds": {"recording": FoldStats, "patient": FoldStats}
// }
// Level = {
//   "n_rows": rows (recordings x repeats, or patients x repeats), "n_patients": P,
//   "accuracy" | "balanced_accuracy" | "macro_f1" | "macro_auroc": Stat,
//   "per_class": [{"class": "AR", "support": n_true, "sensitivity": Stat, "specificity": Stat,
//                  "precision": Stat, "f1": Stat, "auroc": Stat}, ...],       // class order
//   "confusion": [[count]],          // [true][predicted], summed over repeats
//   "roc": [{"class": "AR", "fpr": [...], "tpr": [...]}, ...]
// }
// Stat = {"value": v, "ci_low": lo, "ci_high": hi}      (null where undefined)
// FoldStats = {"n": number of (repeat, fold) groups,
//              "accuracy" | "balanced_accuracy" | "macro_f1" | "macro_auroc": {"mean", "sd"},
//              "per_fold": [{"repeat", "fold", "n_rows", "accuracy", "balanced_accuracy",
//                            "macro_f1", "macro_auroc"}, ...]}
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace murmur::eval {

// One out-of-fold prediction: a recording scored by the model that did not train on it.
struct Prediction {
  std::string file;       // recording id, e.g. "MR_002_sup_Mit"
  std::string patient;    // e.g. "patient_002"
  std::string site;       // auscultation site: Aor, Mit, Pul, Tri
  std::string position;   // sit, sup
  int fold = 0, repeat = 0;
  int true_class = 0;     // index into class_names
  std::vector<float> probs;  // [K], sums to ~1
};
using Predictions = std::vector<Prediction>;

// One fold's training history (one value per epoch).
struct Curve {
  int fold = 0, repeat = 0;
  std::vector<float> train_loss, val_loss, val_acc;
};
using Curves = std::vector<Curve>;

struct BootstrapConfig {
  int n_resamples = 1000;     // 0 disables intervals (ci_low/ci_high null)
  uint64_t seed = 42;
  double confidence = 0.95;   // two-sided percentile interval
  // How a patient's recordings are fused (an evaluation setting carried here so that every
  // caller of evaluate/build_report/compare passes it along): "mean" of the probabilities, or
  // "geometric" (normalised geometric mean: mean of log-probabilities, a product of experts).
  std::string patient_fusion = "mean";

  void validate() const;      // throws murmur::Error naming the field, value and problem
};
void to_json(nlohmann::json& j, const BootstrapConfig& c);
void from_json(const nlohmann::json& j, BootstrapConfig& c);

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

// sklearn roc_auc_score(is_positive, score); NaN if only one class is present.
double roc_auc(const std::vector<bool>& is_positive, const std::vector<double>& score);

// sklearn roc_curve(is_positive, score, drop_intermediate=True).
RocCurve roc_curve(const std::vector<bool>& is_positive, const std::vector<double>& score);

// argmax of probs, first maximum on ties.
int predicted_class(const std::vector<float>& probs);

// One row per (repeat, patient), see the definitions above. Rows come out sorted by
// (repeat, patient); file/site/position are empty. `warnings` (optional) receives a line per
// patient whose recordings sit in different folds.
Predictions aggregate_patients(const Predictions& recordings,
                               std::vector<std::string>* warnings = nullptr,
                               const std::string& fusion = "mean");

// Everything above as JSON (schema at the top of this file). Deterministic for a given seed.
nlohmann::json evaluate(const Predictions& recordings, const std::vector<std::string>& class_names,
                        const BootstrapConfig& boot = {});

// One Level block (schema above) for arbitrary rows: used for a single level or a subset.
// with_roc = false leaves out "roc" (the per-site / per-position blocks do, to keep JSON small).
nlohmann::json evaluate_level(const Predictions& rows, const std::vector<std::string>& class_names,
                              const BootstrapConfig& boot, bool with_roc = true);

// CSV: file,patient,site,position,fold,repeat,true_class,p_<class>... with true_class as the
// class NAME; probabilities to 9 significant digits (float round-trips exactly).
void write_predictions_csv(const std::string& path, const Predictions& preds,
                           const std::vector<std::string>& class_names);
std::string predictions_to_csv(const Predictions& preds, const std::vector<std::string>& class_names);

// Reads what write_predictions_csv wrote; class_names (optional out) come from the p_ columns.
// Throws murmur::Error "<path>:<line>: problem" on malformed input.
Predictions read_predictions_csv(const std::string& path,
                                 std::vector<std::string>* class_names = nullptr);
Predictions predictions_from_csv(const std::string& text, const std::string& source_name,
                                 std::vector<std::string>* class_names = nullptr);

}  // namespace murmur::eval
