// Out-of-fold predictions and training curves, the inputs of every evaluation, and their CSV.
//
//   murmur::eval::Predictions oof = ...;                   // one row per (recording, repeat)
//   murmur::eval::write_predictions_csv("run/oof.csv", oof, {"AR", "AS", "MR", "MS", "N"});
//   std::vector<std::string> classes;
//   auto back = murmur::eval::read_predictions_csv("run/oof.csv", &classes);   // same rows
//
// CSV (RFC 4180 through util/csv.h): file,patient,site,position,fold,repeat,true_class,p_<class>...
// with true_class as the class NAME and probabilities to 9 significant digits (a float
// round-trips exactly; util/number_text.h). A probability under the smallest normal float
// (1.2e-38, util::kProbabilityFloor) is written as 0; NaN or infinity is refused when written.
// Fields holding a comma or a quote are quoted; LF, CRLF or CR endings read.
// Multi-label runs (class names without "N", e.g. {"AR","AS","MR","MS"}): true_class holds the
// '+'-joined diseases in class_names order ("AR+AS") or "N" for none; if any row has thresholds,
// columns t_<class>... follow the p_ columns (empty fields for rows without).
#pragma once

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
  int true_class = 0;     // index into class_names; -1 in multi-label runs
  std::vector<float> probs;  // [K]: sums to ~1, or K independent probabilities (multi-label)
  std::vector<int> true_labels;    // multi-label: ascending indices of the diseases (empty = normal)
  std::vector<int> unknown_labels; // multi-label: outputs the recording's source has no label for (not in the CSV)
  std::vector<float> thresholds;   // [K] operating thresholds of the row's fold, or empty (none)
};
using Predictions = std::vector<Prediction>;

// A run is multi-label iff its class names do not contain "N" (normal = no label).
inline bool is_multi_label(const std::vector<std::string>& class_names) {
  for (const auto& c : class_names)
    if (c == "N") return false;
  return true;
}

// One fold's training history (one value per epoch).
struct Curve {
  int fold = 0, repeat = 0;
  std::vector<float> train_loss, val_loss, val_acc;
};
using Curves = std::vector<Curve>;

void write_predictions_csv(const std::string& path, const Predictions& preds,
                           const std::vector<std::string>& class_names);
std::string predictions_to_csv(const Predictions& preds, const std::vector<std::string>& class_names);

// Reads what write_predictions_csv wrote; class_names (optional out) come from the p_ columns,
// and so does whether the file is multi-label (is_multi_label).
// Throws murmur::Error "<path>:<line>: problem" on malformed input.
Predictions read_predictions_csv(const std::string& path,
                                 std::vector<std::string>* class_names = nullptr);
Predictions predictions_from_csv(const std::string& text, const std::string& source_name,
                                 std::vector<std::string>* class_names = nullptr);

}  // namespace murmur::eval
