// `murmur train`: one model on a data set, and `murmur evaluate`: a trained model on the test
// side of the split it was trained with.
//
//   TrainRunOptions o;  o.preset = make_preset("native");  o.data.data_dir = "bmd-hs";  o.out_dir = "m";
//   nlohmann::json summary = train_run(o);   // m/model.pth, class_names.json, metrics.json, epochs.jsonl
//   nlohmann::json ev = evaluate_run("m/model.pth", o.data);   // the same split's test side
//
// Splits: "patient" (60/20/20 by patient, the default and honest one) or "recording" (the
// reference's, at random per view: it leaks patients and time-reversed twins across the split,
// so it warns), or "all": the model to ship. Every patient is learnt from: the patients are dealt
// into `members` stratified groups, member k trains on all but group k and takes its schedule,
// choice of epoch, temperature and (multi-label) thresholds from group k; the members go into one file
// (model::Checkpoint::n_members, one preset with the members' mean temperature and thresholds)
// that predict, stream and serve average; with `seeds` > 1 each group's member is trained with that
// many training seeds (members x seeds models). No patient is held out,
// so it has no test figures and `evaluate` refuses it: its expected accuracy on new patients is
// a cv run's of the same preset. Members train in OUT/members/K/ and a killed run resumes there. Training saves its whole state after every epoch (train_state.pt, removed when
// the run ends); `resume` continues an interrupted run and ends exactly as an uninterrupted one.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "experiment/dataset.h"
#include "pipeline/registry.h"

namespace murmur::experiment {

struct TrainRunOptions {
  pipeline::PresetPtr preset = pipeline::make_preset("native");
  DataOptions data;
  std::string out_dir = "model";
  std::string split = "patient";  // "patient", "recording" or "all"
  int members = 5;                // split "all": validation groups, each 1/members of the patients
  int seeds = 1;                  // split "all": each member trained this many times (training seeds)
  uint64_t seed = 0;              // split, initialisation, batches
  bool resume = false;            // continue from OUT/train_state.pt if a run was interrupted
};

nlohmann::json train_run(const TrainRunOptions& options);

// A model.pth on the test side of its own split (split and seed read from its provenance), or
// on every usable recording with split "all" (the default for models without a recorded split).
nlohmann::json evaluate_run(const std::string& model_path, const DataOptions& data, const std::string& split = "",
                            const std::vector<std::string>& eval_overrides = {});  // see Predictor::open

// The test recordings (indices into set.recordings, sorted) of a train_run split.
std::vector<int> test_recordings(const LoadedSet& set, const pipeline::Preset& preset, const std::string& split,
                                 uint64_t seed);

}  // namespace murmur::experiment
