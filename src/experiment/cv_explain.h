// Explanations in every cv report (issue 13): each test patient of the first repeat explained by
// its own fold model (pipeline/explain.h: occlusion of the systole, the diastole and four bands),
// so that a reader sees why the misclassified patients were misclassified, and whether the model
// listens where a cardiologist would (AS and MR are systolic murmurs, AR and MS diastolic).
//
//   nlohmann::json section = explain_cv_run("runs/native", set, 5, false);   // report["explanations"]
//
// Per fold: RUN/repeat0/foldF/explanations.json (kept: a rerun only rebuilds the report). Per
// misclassified patient: RUN/explanations/PATIENT.svg, the explanation picture of its recording
// most sure of the answer. A patient's answer is its fold model's, fused from the recordings that
// could be explained (the segmenter refuses silence and clips under 1 s: those are listed in
// "not_explained"). Presets that cannot be occluded (seed) get null. Schema: docs/schemas.md.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "experiment/dataset.h"

namespace murmur::experiment {

nlohmann::json explain_cv_run(const std::string& run_dir, const LoadedSet& set, int folds, bool quiet);

}  // namespace murmur::experiment
