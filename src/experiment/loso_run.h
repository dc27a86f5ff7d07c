// `murmur cv --split source`: leave-one-source-out. For each source of a collection (PhysioNet
// 2016's training-a..f, PASCAL B, BMD-HS, a manifest's own), a model trained on every other source
// is tested on it: how murmur does on a stethoscope, a hospital and a population it never heard.
//
//   CvOptions cv;  cv.preset = make_preset("pooled");  cv.split = "source";
//   cv.data.data_dir = "../shared/data";  cv.run_dir = "runs/loso";
//   nlohmann::json report = loso_run(cv);   // RUN/report.json, report.html, report.txt, oof_predictions.csv
//   report["sources"][i]["source"] == "training-a";  report["sources"][i]["macc"];
//
// Per held-out source and output with labels there: AUROC, and sensitivity, specificity and MAcc
// (their mean, the 2016 challenge's score) at the threshold chosen on the validation patients of
// the training sources, never on the held-out one; intervals by resampling the held-out patients.
// A source's "macc" is its normal / abnormal score (PASCAL B: murmur vs normal, the recordings it
// labels abnormal are its murmurs). Recording-level, as the challenge scored. Resumable like cv
// (RUN/<source>/done.json); only_fold runs the source of that index (sorted by name).
#pragma once

#include <nlohmann/json.hpp>

#include "experiment/cv_run.h"

namespace murmur::experiment {

nlohmann::json loso_run(const CvOptions& options);
std::string loso_summary(const nlohmann::json& report);  // the table report.txt holds

// Scores of one output on held-out recordings: probs and 0/1 truth (unknown left out by the
// caller), patients for the intervals. {"n_positive", "n_negative", "auroc", "sensitivity",
// "specificity", "macc", "threshold", "macc_ci": [lo, hi]}.
nlohmann::json binary_scores(const std::vector<float>& probs, const std::vector<int>& truth,
                             const std::vector<std::string>& patients, float threshold,
                             const eval::BootstrapConfig& boot);

}  // namespace murmur::experiment
