#include "experiment/runs.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "eval/calibration.h"
#include "eval/multilabel.h"
#include "eval/thresholds.h"
#include "model/init.h"
#include "pipeline/registry.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/progress.h"
#include "util/version.h"

namespace murmur::experiment {

namespace {

std::string epoch_note(const train::EpochLog& e, int epochs) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "epoch %d/%d loss %.3f val_loss %.3f val_acc %.3f lr %.1e (%.1fs)", e.epoch, epochs,
                e.train_loss, e.val_loss, e.val_acc, e.lr, e.seconds);
  return buf;
}

}  // namespace

std::vector<ViewRef> all_views(const std::vector<int>& recordings) {
  std::vector<ViewRef> v;
  for (int r : recordings) v.push_back({r, -1});
  return v;
}

namespace {

// make_set with copies[i] copies of refs[i]'s views.
train::Batchable make_set_copies(const LoadedSet& set, const std::vector<ViewRef>& refs, const pipeline::Preset& preset,
                                 const std::vector<int>& copies) {
  std::vector<torch::Tensor> xs, targets;
  std::vector<int64_t> ys;
  const bool multi = preset.multi_label();
  const auto outputs = preset.output_names();
  for (size_t i = 0; i < refs.size(); ++i) {
    const ViewRef& ref = refs[i];
    const data::Recording& r = set.recordings[size_t(ref.recording)];
    auto v = preset.train_views(preset.training_input(set.stored[size_t(ref.recording)], r));
    if (ref.view >= 0) v = v.slice(0, ref.view, ref.view + 1);
    if (copies[i] > 1) v = v.repeat_interleave(copies[i], 0);
    xs.push_back(v);
    for (int64_t j = 0; j < v.size(0); ++j) ys.push_back(multi ? -1 : r.label);
    if (multi)
      targets.push_back(torch::tensor(label_targets(r, outputs)).unsqueeze(0).expand({v.size(0), int64_t(outputs.size())}));
  }
  if (xs.empty()) return {};
  if (multi) return {torch::cat(xs), torch::tensor(ys, torch::kLong), torch::cat(targets), true};
  return {torch::cat(xs), torch::tensor(ys, torch::kLong), {}};
}

}  // namespace

std::vector<int> balanced_copies(const std::vector<std::string>& sources, int per_recording, double power,
                                 const std::vector<std::string>& labels) {
  std::vector<int> copies(sources.size(), per_recording);
  if ((power <= 0 && labels.empty()) || sources.empty()) return copies;
  std::map<std::string, double> n;  // recordings per source
  std::map<std::pair<std::string, std::string>, double> n_label;  // per (source, label)
  std::map<std::string, std::set<std::string>> kinds;  // labels of each source
  for (size_t i = 0; i < sources.size(); ++i) {
    n[sources[i]] += 1;
    if (!labels.empty()) n_label[{sources[i], labels[i]}] += 1, kinds[sources[i]].insert(labels[i]);
  }
  double mass = 0;  // sum over sources of n_s^(1 - power): the sum of the weights below
  for (auto& [s, c] : n) mass += std::pow(c, 1 - power);
  for (size_t i = 0; i < sources.size(); ++i) {
    const double n_s = n[sources[i]];
    double w = std::pow(n_s, -power);
    if (!labels.empty()) w *= n_s / (double(kinds[sources[i]].size()) * n_label[{sources[i], labels[i]}]);
    copies[i] = std::max(1, int(std::lround(per_recording * double(sources.size()) * w / mass)));
  }
  return copies;
}

train::Batchable make_set(const LoadedSet& set, const std::vector<ViewRef>& refs, const pipeline::Preset& preset,
                          int copies) {
  return make_set_copies(set, refs, preset, std::vector<int>(refs.size(), copies));
}

train::Batchable make_train_set(const LoadedSet& set, const std::vector<ViewRef>& refs, const pipeline::Preset& preset) {
  const int copies = preset.examples_per_recording();
  std::vector<std::string> sources, labels;
  for (auto& ref : refs) {
    const data::Recording& r = set.recordings[size_t(ref.recording)];
    sources.push_back(r.source);
    if (preset.balances_labels()) labels.push_back(std::to_string(r.abnormal));
  }
  train::Batchable b =
      make_set_copies(set, refs, preset, balanced_copies(sources, copies, preset.source_balance(), labels));
  if (set.extra.empty()) return b;
  const int64_t k = int64_t(data::kClassNames.size());
  std::vector<torch::Tensor> xs{b.x}, softs{torch::one_hot(b.y, k).to(torch::kFloat)};
  std::vector<int64_t> ys(size_t(b.size()), 0);
  std::memcpy(ys.data(), b.y.data_ptr<int64_t>(), ys.size() * sizeof(int64_t));
  for (size_t i = 0; i < set.extra.size(); ++i) {
    auto v = preset.train_views(preset.training_input(set.extra_stored[i], set.extra[i]));
    if (copies > 1) v = v.repeat_interleave(copies, 0);
    auto target = torch::zeros({k});
    for (int label : set.extra[i].labels) target[label] = 1.0 / double(set.extra[i].labels.size());
    xs.push_back(v);
    softs.push_back(target.unsqueeze(0).expand({v.size(0), k}));
    for (int64_t j = 0; j < v.size(0); ++j) ys.push_back(-1);
  }
  return {torch::cat(xs), torch::tensor(ys, torch::kLong), torch::cat(softs)};
}

void keep_trainable(const LoadedSet& set, const pipeline::Preset& preset, data::Split& split) {
  for (auto* side : {&split.train, &split.val})
    side->erase(std::remove_if(side->begin(), side->end(),
                               [&](int i) { return !preset.trains_on(set.recordings[size_t(i)]); }),
                side->end());
}

void require_every_label(const LoadedSet& set, const pipeline::Preset& preset, const std::string& what,
                         const std::string& only_source) {
  if (!preset.multi_label()) return;
  const auto outputs = preset.output_names();
  for (auto& r : set.recordings) {
    if (!only_source.empty() && r.source != only_source) continue;
    auto t = label_targets(r, outputs);
    if (std::any_of(t.begin(), t.end(), [](float v) { return v < 0; }))
      throw Error(what + " score every output of every test recording, but " + r.source + " (" + r.name +
                  ") has no label for some of preset " + preset.name() + "'s outputs: use cv --split source "
                  "(leave one source out) or train --split all, or test on a source that has them all (--data BMD-HS, or "
                  "cv --test-source bmd-hs)");
  }
}

pipeline::Model seeded_model(pipeline::PresetPtr preset, bool quiet) {
  torch::manual_seed(preset->train.seed);
  pipeline::Model m = pipeline::Model::fresh(std::move(preset));
  if (const std::string& path = m.preset->train.init; !path.empty()) {
    model::require_init_file(path);
    auto report = model::init_from(*m.net.module, model::read_state_dict(path), path);
    if (!quiet) std::cerr << report.summary(path) << "\n";
  }
  return m;
}

namespace {
// A training state is resumed only under the same features, network and heads (e.g. native.cycle_weight);
// the recipe (train.*) is checked by train::fit itself.
std::string state_model_key(const pipeline::Preset& preset) {
  nlohmann::json key = preset.to_json();
  key.erase("train");
  return key.dump();
}
}  // namespace

train::FitResult fit_model(pipeline::Model& m, const train::Batchable& train_set, const train::Batchable& val,
                           const FitJob& job) {
  const pipeline::Preset& preset = *m.preset;
  util::Progress bar(job.label, preset.train.epochs, job.quiet);
  auto result = train::fit(
      *m.net.module, m.net.forward, train_set, val, int(preset.output_names().size()), preset.train,
      [&](const torch::Tensor& x) { return preset.augment(x); },
      [&](const train::EpochLog& e) {
        bar.set_note(epoch_note(e, preset.train.epochs) + (job.note_suffix ? job.note_suffix() : ""));
        bar.tick();
        if (job.on_epoch) job.on_epoch(e);
      },
      train::EpochCheckpoint{job.state_path, job.resume, state_model_key(preset)}, m.net.aux_loss);
  bar.done();
  return result;
}

nlohmann::json history_json(const train::FitResult& fit) {
  nlohmann::json history = nlohmann::json::array();
  for (auto& e : fit.history) history.push_back(e);
  return history;
}

eval::Prediction prediction_row(const data::Recording& r, const torch::Tensor& probs, int fold, int repeat,
                                const pipeline::Preset& preset) {
  auto p = probs.to(torch::kFloat).contiguous();
  eval::Prediction row{r.name, r.patient_id, r.site, r.position, fold, repeat, r.label,
                       std::vector<float>(p.data_ptr<float>(), p.data_ptr<float>() + p.numel()), {}, {}, {}};
  if (preset.multi_label()) {
    auto t = label_targets(r, preset.output_names());
    for (size_t k = 0; k < t.size(); ++k)
      if (t[k] > 0.5f) row.true_labels.push_back(int(k));
      else if (t[k] < 0) row.unknown_labels.push_back(int(k));
    row.true_class = -1;
    row.thresholds = preset.thresholds();
  }
  return row;
}

void choose_operating_points(pipeline::Model& m, const LoadedSet& set, const std::vector<int>& val_recordings) {
  if (!m.preset->multi_label()) return;
  eval::Predictions val;
  for (int i : val_recordings)
    val.push_back(prediction_row(set.recordings[size_t(i)], m.recording_probs(set.stored[size_t(i)]), 0, 0, *m.preset));
  auto preset = m.preset->clone();
  preset->set_thresholds(eval::choose_thresholds(val, int(preset->output_names().size())));
  m.preset = std::move(preset);
}

void calibrate(pipeline::Model& m, const LoadedSet& set, const std::vector<int>& val_recordings) {
  if (!m.preset->calibrates() || m.preset->multi_label()) return;
  std::vector<std::vector<float>> probs;
  std::vector<int> labels;
  auto uncalibrated = m.preset->clone();
  uncalibrated->temperature = 1.0;
  const pipeline::Model plain{std::move(uncalibrated), m.net};
  for (int i : val_recordings) {
    const auto& r = set.recordings[size_t(i)];
    if (!r.is_single_label()) continue;
    auto p = plain.recording_probs(set.stored[size_t(i)]).to(torch::kFloat).contiguous();
    probs.emplace_back(p.data_ptr<float>(), p.data_ptr<float>() + p.numel());
    labels.push_back(r.label);
  }
  auto preset = m.preset->clone();
  preset->temperature = eval::fit_temperature(probs, labels);
  m.preset = std::move(preset);
}

nlohmann::json evaluate_rows(const eval::Predictions& rows, const pipeline::Preset& preset,
                             const eval::BootstrapConfig& boot) {
  const auto names = preset.output_names();
  if (!preset.multi_label()) return eval::evaluate(rows, names, boot, preset.patient_fusion());
  nlohmann::json m = eval::evaluate_multilabel(rows, names, boot);
  auto five = eval::has_valve_outputs(names) ? eval::five_class_view(rows, names) : eval::Predictions{};
  m["five_class"] = five.empty() ? nlohmann::json() : eval::evaluate(five, data::kClassNames, boot, preset.patient_fusion());
  return m;
}

model::Checkpoint make_checkpoint(const pipeline::Model& m, const train::FitResult& fit, const nlohmann::json& provenance) {
  model::Checkpoint ck;
  ck.state_dict = model::state_dict(*m.net.module);
  ck.val_acc = 100.0 * fit.best_val_acc;
  ck.class_names = m.preset->output_names();
  for (size_t i = 0; i < ck.class_names.size(); ++i) ck.label_to_idx[ck.class_names[i]] = int64_t(i);
  ck.epoch = fit.best_epoch;
  ck.preset = m.preset->name();
  ck.murmur_config = m.preset->to_json();
  ck.provenance = provenance;
  return ck;
}

nlohmann::json machine_json(int threads) {
  return {{"cores", std::thread::hardware_concurrency()}, {"threads", threads},
          {"murmur_version", MURMUR_VERSION}, {"murmur_commit", util::git_commit()}};
}

nlohmann::json read_json_file(const std::string& path) {
  auto j = nlohmann::json::parse(util::read_file(path), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw Error(path + ": not valid JSON (delete it to redo what it records)");
  return j;
}

nlohmann::json read_run_config(const std::string& config_path) {
  auto old = read_json_file(config_path);
  old.erase("bootstrap");  // written by earlier versions of cv
  // A preset written before a setting existed reads as that setting's default.
  if (old.contains("preset") && old["preset"].is_object()) try {
      old["preset"] = pipeline::preset_from_json(old["preset"])->to_json();
    } catch (const std::exception&) {
    }
  return old;
}

void claim_run_folder(const std::string& folder, const std::string& config_path, const nlohmann::json& config,
                      const std::string& what) {
  if (std::filesystem::exists(config_path)) {
    if (read_run_config(config_path) != config)
      throw Error(folder + ": holds " + what + " with a different configuration (" +
                  config_path.substr(folder.size() + 1) + "); choose another --output folder or delete it");
  } else {
    util::write_file_atomic(config_path, util::json_file_text(config, 1, config_path));
  }
}

std::map<std::string, size_t> recording_index(const LoadedSet& set) {
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < set.recordings.size(); ++i) index[set.recordings[i].name] = i;
  return index;
}

long rows_without(const std::string& run_dir, int folds, const std::string& file_name) {
  long n = 0;
  for (int f = 0; f < folds; ++f)
    if (!std::filesystem::exists(fold_dir(run_dir, 0, f) + "/" + file_name))
      n += long(eval::read_predictions_csv(fold_dir(run_dir, 0, f) + "/predictions.csv").size());
  return n;
}

std::string fold_dir(const std::string& run_dir, int repeat, int fold) {
  return run_dir + "/repeat" + std::to_string(repeat) + "/fold" + std::to_string(fold);
}

}  // namespace murmur::experiment
