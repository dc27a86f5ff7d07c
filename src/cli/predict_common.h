// What both `murmur predict` paths share: the command's options, its report (recordings, patients
// fused by the preset's rule, skipped files) and its table. murmur-torch runs every model
// (cli/predict.cpp); the `murmur` launcher runs native-family models itself on oneDNN
// (cli/predict_native.cpp) and hands everything else to murmur-torch with the same arguments.
//
//   auto args = std::make_shared<PredictArgs>();
//   CLI::App* cmd = add_predict_command(app, *args);
//   cmd->callback([args] { ... answers[i] = probabilities of files[i] ...;
//                          finish_predict(predict_report(model, answers, failed), model.names); });
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

#include "cli/command.h"
#include "eval/fusion.h"
#include "pipeline/explanation.h"

namespace murmur::cli {

struct PredictArgs {
  std::string model;
  std::vector<std::string> eval_overrides;
  std::vector<std::string> files;
  bool explain = false;
  std::string pictures_dir;  // with --explain: DIR/<stem>.svg per recording
  pipeline::ExplainConfig explain_config;  // --segmenter
};

// The "predict" subcommand with its options bound to args (no callback yet).
CLI::App* add_predict_command(CLI::App& app, PredictArgs& args);

// The model as the report names it.
struct PredictModel {
  std::string path, preset;
  size_t n_models = 1;
  eval::Fusion fusion = eval::Fusion::kMean;
  std::vector<std::string> names;
  std::vector<float> thresholds;  // multi-label models; else empty
  std::function<std::vector<float>(const std::vector<std::vector<double>>&)> fuse;  // a patient's recordings
};

// Every file's answer, one file per worker thread, with a progress bar: answers[i] = answer(i), or
// failed[i] saying why not (murmur::Error's message; "FILE: internal error: ..." for any other
// exception: one file never loses the batch).
struct PredictOutcome {
  std::vector<std::vector<double>> answers;
  std::vector<std::string> failed;
};
PredictOutcome answer_each(const std::vector<std::string>& files, int workers,
                           const std::function<std::vector<double>(size_t)>& answer);

// Optional additions: an answer's "explanation" for recording i, and for a patient (its answer,
// its recordings' indices).
struct PredictExtras {
  std::function<nlohmann::json(size_t)> recording;
  std::function<nlohmann::json(const nlohmann::json&, const std::vector<size_t>&)> patient;
};

// --explain's additions: each recording's explanation (why[i]), and a patient's answer explained
// by the recording most sure of each of its classes, with its site ("... strongest at Aor").
// The vectors must outlive what this returns.
PredictExtras explanation_extras(const std::vector<pipeline::Explanation>& why, const std::vector<std::string>& files,
                                 const std::vector<std::string>& names);

// {"model", "preset", "n_models", "recordings", "patients", "skipped", "patient_fusion"}: answers[i]
// for files[i] unless failed[i] says why it was skipped (reported on stderr). Patients are the
// recordings named CLASS_PID_POS_SITE, two or more of them.
nlohmann::json predict_report(const PredictModel& model, const std::vector<std::string>& files,
                              const std::vector<std::vector<double>>& answers, const std::vector<std::string>& failed,
                              const PredictExtras& extras = {});

// Prints the report (JSON with --json, else a table), then throws as the exit code should say:
// Error when nothing was classified, SomeInputsFailed when some files were skipped.
void finish_predict(const nlohmann::json& report, const std::vector<std::string>& names);

std::string stem_of(const std::string& path);  // "a/b/AS_001_sit_Aor.wav" -> "AS_001_sit_Aor"

}  // namespace murmur::cli
