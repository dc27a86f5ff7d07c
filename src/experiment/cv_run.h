// `murmur cv`: patient-grouped, stratified k-fold cross-validation with a report.
//
//   CvOptions cv;  cv.preset = make_preset("native");  cv.data.data_dir = "bmd-hs";
//   cv.run_dir = "runs/native";
//   nlohmann::json report = cv_run(cv);   // RUN/report.json, report.html, oof_predictions.csv
//
// Every patient is in exactly one test fold (a leakage guard checks each fold); a patient-grouped
// validation split inside the training folds drives the schedule and the choice of epoch.
// Resumable: finished folds (RUN/repeatR/foldF/done.json) are kept, an unfinished fold resumes
// at its last finished epoch, and only_fold runs one fold so folds can run in separate processes.
// A run folder holds one configuration (RUN/config.json); a different one is refused.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "eval/metrics.h"
#include "experiment/dataset.h"
#include "pipeline/registry.h"

namespace murmur::experiment {

struct CvOptions {
  pipeline::PresetPtr preset = pipeline::make_preset("native");
  DataOptions data;
  std::string run_dir = "runs/cv";
  // "patient": patient-grouped stratified k-fold; "source": leave one source out (loso_run.h).
  std::string split = "patient";
  // With split "patient" on a collection: folds over this source's patients only; every other
  // source's recordings join each fold's training side, and the report is about this source
  // (e.g. BMD-HS's valve figures with every other stethoscope also taught). "" = every recording.
  std::string test_source;
  int folds = 5;
  int repeats = 1;
  uint64_t seed = 0;                   // fold assignments; with train_seed, each fold's training seed
  uint64_t train_seed = 0;             // > 0: other initial weights and batch order, same folds
  int only_fold = -1;                  // >= 0: run just this fold (of every repeat) and stop
  double val_fraction = 0.2;           // of the training patients, for schedule and model choice
  // Report-time settings (may change on resume): intervals, and the patient fusion
  // (default: the preset's, Preset::patient_fusion).
  eval::BootstrapConfig bootstrap;
  std::optional<eval::Fusion> fusion;
  bool shifts = true;   // report["shifts"] (experiment/shift_bench.h), single-label presets
  bool explain = true;  // report["explanations"] (experiment/cv_explain.h), presets that can be occluded
};

// The report once every fold is done; a progress summary {"status": "partial", ...} otherwise.
// split "source" runs loso_run instead.
nlohmann::json cv_run(const CvOptions& options);

}  // namespace murmur::experiment
