// Experiments on a data set: train one model, cross-validate by patient, predict with a model
// or a cross-validation run's fold ensemble. The CLI subcommands are thin wrappers of these.
//
//   TrainRunOptions o;  o.preset = Preset::named("native");  o.data_dir = "bmd-hs";  o.out_dir = "m";
//   nlohmann::json summary = train_run(o);        // m/model.pth, m/class_names.json, m/metrics.json
//
//   CvOptions cv;  cv.preset = ...;  cv.data_dir = ...;  cv.run_dir = "runs/native";
//   nlohmann::json report = cv_run(cv);            // resumable: finished folds are kept
//
//   Predictor p = Predictor::open("m/model.pth");  // or a cv run folder: the folds' ensemble
//   torch::Tensor probs = p.predict_file("x.wav"); // [K]
//
// Recordings that fail to load are reported, skipped and listed; they never stop a run.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/index.h"
#include "eval/metrics.h"
#include "model/preset.h"

namespace murmur::train {

struct LoadedSet {
  std::vector<data::Recording> recordings;  // the usable single-label (N/AS/AR/MR/MS) recordings
  std::vector<torch::Tensor> stored;        // their cached features, same order
  std::vector<std::string> skipped;         // "file: problem" for each recording left out
  // Multi-disease (MD) patients' recordings with known labels: extra training data only, with
  // the patient's diseases as an even target distribution (preset native.md_training).
  std::vector<data::Recording> extra;
  std::vector<torch::Tensor> extra_stored;
  std::string fingerprint;                  // the data set's (data::DatasetIndex::fingerprint)
  int n_indexed = 0;
};

struct DataOptions {
  std::string data_dir;
  std::string cache_dir;      // "" = DATA_DIR/.murmur-cache if writable, else no cache
  bool quiet = false;
  int threads = 1;            // feature extraction workers
};

// Indexes data_dir, keeps the single-label recordings of N/AS/AR/MR/MS patients (MD patients
// are left out of the 5-class task, and enter only as extra training data when the preset asks),
// and computes (or reads from the cache) their features.
LoadedSet load_dataset(const DataOptions& data, const model::Preset& preset);

struct TrainRunOptions {
  model::Preset preset = model::Preset::named("native");
  DataOptions data;
  std::string out_dir = "model";
  std::string split = "patient";   // "patient" (60/20/20 by patient) or "recording" (the reference's, leaky)
  uint64_t seed = 0;
  // Continue from OUT/train_state.pt (saved after every epoch, removed when the run ends) if a
  // run into OUT was interrupted; the result equals an uninterrupted run's.
  bool resume = false;
};

// Writes OUT/model.pth, class_names.json, metrics.json and epochs.jsonl (one line per epoch).
nlohmann::json train_run(const TrainRunOptions& options);

// A trained model (model.pth from train_run) on the test side of the split it was trained with
// (split and seed read from its provenance), or on every usable recording with split "all".
nlohmann::json evaluate_run(const std::string& model_path, const DataOptions& data, const std::string& split = "");

struct CvOptions {
  model::Preset preset = model::Preset::named("native");
  DataOptions data;
  std::string run_dir = "runs/cv";
  int folds = 5;
  int repeats = 1;
  uint64_t seed = 0;
  int only_fold = -1;              // >= 0: run just this fold (of every repeat) and stop
  double val_fraction = 0.2;       // of the training patients, for schedule and model choice
  eval::BootstrapConfig bootstrap;  // intervals and patient fusion: report-time settings, may change on resume
};

// The patient fusion a preset is evaluated with: "geometric" for native (chosen on development
// runs, see docs/RESULTS.md), "mean" for seed (the protocol's plain average).
std::string default_fusion(const model::Preset& preset);

// Runs (or resumes) the cross-validation and writes RUN_DIR/report.json, report.html and
// oof_predictions.csv once every fold is done. Returns the report (or a progress summary when
// only some folds ran).
nlohmann::json cv_run(const CvOptions& options);

// A model (model.pth) or a cv run folder (the mean of its fold models).
class Predictor {
 public:
  static Predictor open(const std::string& path);
  // [K] probabilities of a recording, or (seed models) of one of the reference's PNG pictures.
  torch::Tensor predict_file(const std::string& path) const;
  torch::Tensor predict_audio(const audio::Audio& audio) const;          // audio at any rate
  torch::Tensor predict_stored(const torch::Tensor& stored) const;
  const model::Preset& preset() const { return models_.front().preset; }
  const std::vector<std::string>& class_names() const { return class_names_; }
  size_t n_models() const { return models_.size(); }
  const nlohmann::json& info() const { return info_; }

 private:
  // The ensemble's answer: the mean of probs(model) over its models.
  torch::Tensor mean_over_models(const std::function<torch::Tensor(const model::Classifier&)>& probs) const;
  std::vector<model::Classifier> models_;
  std::vector<std::string> class_names_;
  nlohmann::json info_;
};

}  // namespace murmur::train
