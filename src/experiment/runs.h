// What the runs (train, cv, evaluate) share: training sets from a loaded set, a model trained
// with a progress bar, out-of-fold rows, checkpoints with provenance. Internal to src/experiment.
//
//   Batchable train = make_train_set(set, all_views(split.train), preset);
//   FitJob job{"cv native fold 1/5", dir + "/train_state.pt", true, quiet};
//   train::FitResult fit = fit_model(model, train, make_set(set, all_views(split.val), preset), job);
//   eval::Prediction row = prediction_row(set.recordings[i], model.recording_probs(set.stored[i]), f, r);
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "eval/metrics.h"
#include "experiment/dataset.h"
#include "model/checkpoint.h"
#include "pipeline/model.h"
#include "train/trainer.h"

namespace murmur::experiment {

// One training example: a recording's view (-1: all of its views).
struct ViewRef {
  int recording, view;
};
std::vector<ViewRef> all_views(const std::vector<int>& recordings);

// The views of `refs` with their labels, each repeated `copies` times.
train::Batchable make_set(const LoadedSet& set, const std::vector<ViewRef>& refs, const pipeline::Preset& preset,
                          int copies = 1);
// Copies per recording, balancing sources: per_recording * N * w / sum_s n_s^(1-power), at least 1,
// w = n_s^-power for a recording of source s (n_s of N); power 0: alike, 1: sources alike. With
// labels, w *= n_s / (L_s * n_s,label) (L_s labels in s): each source's labels drawn equally often.
std::vector<int> balanced_copies(const std::vector<std::string>& sources, int per_recording, double power,
                                 const std::vector<std::string>& labels = {});
// make_set with the preset's copies per recording (balanced_copies), plus MD recordings (soft targets).
train::Batchable make_train_set(const LoadedSet& set, const std::vector<ViewRef>& refs, const pipeline::Preset& preset);

// Removes from split.train and split.val the recordings the preset does not train on (Preset::trains_on).
void keep_trainable(const LoadedSet& set, const pipeline::Preset& preset, data::Split& split);

// murmur::Error starting with `what` unless every recording (of `only_source`, if given) has every output's
// label (a multi-label preset scored on test recordings would count a label its source lacks as negative).
void require_every_label(const LoadedSet& set, const pipeline::Preset& preset, const std::string& what,
                         const std::string& only_source = "");

// A fresh model whose initial weights follow preset.train.seed (LibTorch's generator starts from a
// different random seed in every process), then train.init's matching tensors (model/init.h; what
// was taken goes to stderr unless quiet).
pipeline::Model seeded_model(pipeline::PresetPtr preset, bool quiet = false);

struct FitJob {
  std::string label;       // progress bar
  std::string state_path;  // epoch checkpoints ("" = none)
  bool resume = false;
  bool quiet = false;
  std::function<void(const train::EpochLog&)> on_epoch;  // after the bar is updated
  std::function<std::string()> note_suffix;              // e.g. the run's ETA
};
// Trains with the preset's recipe and augmentation; the model keeps the best epoch's weights.
train::FitResult fit_model(pipeline::Model& model, const train::Batchable& train, const train::Batchable& val,
                           const FitJob& job);
nlohmann::json history_json(const train::FitResult& fit);

// Multi-label presets: true_labels, unknown_labels (outputs the recording's source does not label)
// and the preset's thresholds filled, true_class = -1.
eval::Prediction prediction_row(const data::Recording& r, const torch::Tensor& probs, int fold, int repeat,
                                const pipeline::Preset& preset);

// Multi-label presets: per-output thresholds chosen on the validation recordings' patients
// (eval/thresholds.h) replace the model's preset; others are left as they are.
void choose_operating_points(pipeline::Model& m, const LoadedSet& set, const std::vector<int>& val_recordings);

// Presets that calibrate (Preset::calibrates): the temperature fitted on the validation
// recordings' probabilities (eval::fit_temperature) replaces the model's preset; others are left.
void calibrate(pipeline::Model& m, const LoadedSet& set, const std::vector<int>& val_recordings);

// Metrics of test rows: eval::evaluate, or for multi-label presets eval::evaluate_multilabel plus
// "five_class" (the 5-class question on the single-label patients, eval::five_class_view).
nlohmann::json evaluate_rows(const eval::Predictions& rows, const pipeline::Preset& preset,
                             const eval::BootstrapConfig& boot = {});

model::Checkpoint make_checkpoint(const pipeline::Model& m, const train::FitResult& fit, const nlohmann::json& provenance);
nlohmann::json machine_json(int threads);
std::string fold_dir(const std::string& run_dir, int repeat, int fold);  // RUN/repeatR/foldF
nlohmann::json read_json_file(const std::string& path);  // murmur::Error naming it if it is not JSON
// A run's config.json as the current code reads it (settings added since: their defaults).
nlohmann::json read_run_config(const std::string& config_path);
// A run folder holds one configuration: writes config_path the first time, and later refuses a
// different `config` (murmur::Error "<folder>: holds <what> with a different configuration").
void claim_run_folder(const std::string& folder, const std::string& config_path, const nlohmann::json& config,
                      const std::string& what);
// Where each recording of a loaded set is, by its name (the predictions CSV's "file").
std::map<std::string, size_t> recording_index(const LoadedSet& set);
// Test rows of repeat 0's folds that have no `file_name` yet (a report step's work left, for its progress bar).
long rows_without(const std::string& run_dir, int folds, const std::string& file_name);

}  // namespace murmur::experiment
