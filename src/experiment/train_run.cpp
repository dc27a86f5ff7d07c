#include "experiment/train_run.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>

#include "experiment/runs.h"
#include "pipeline/registry.h"
#include "pipeline/predictor.h"
#include "train/distributed.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"

namespace murmur::experiment {

namespace fs = std::filesystem;

namespace {

// train_run's split of a loaded set: "recording" (the reference's, per view) or "patient".
struct SplitRefs {
  std::vector<ViewRef> train, val, test;
  std::vector<int> test_recordings;  // sorted, unique
};

SplitRefs split_refs(const LoadedSet& set, const pipeline::Preset& preset, const std::string& split, uint64_t seed) {
  auto items = set.items();
  SplitRefs out;
  if (split == "recording") {
    // The reference split images at random: each view of a recording is an item of its own.
    const int views = int(preset.train_views(set.stored[0]).size(0));
    std::vector<data::Item> view_items;
    for (auto& it : items)
      for (int v = 0; v < views; ++v) view_items.push_back(it);
    data::Split s = data::recording_split(view_items, 0.2, 0.2, seed);
    auto refs = [&](const std::vector<int>& idx) {
      std::vector<ViewRef> r;
      for (int i : idx) r.push_back({i / views, views > 1 ? i % views : -1});
      return r;
    };
    out.train = refs(s.train);
    out.val = refs(s.val);
    out.test = refs(s.test);
    for (auto& r : out.test) out.test_recordings.push_back(r.recording);
    std::sort(out.test_recordings.begin(), out.test_recordings.end());
    out.test_recordings.erase(std::unique(out.test_recordings.begin(), out.test_recordings.end()),
                              out.test_recordings.end());
  } else if (split == "patient") {
    data::Split s = data::patient_split(items, 0.2, 0.2, seed);
    data::check_no_leak(items, s);
    keep_trainable(set, preset, s);
    out.train = all_views(s.train);
    out.val = all_views(s.val);
    out.test = all_views(s.test);
    out.test_recordings = s.test;
  } else {
    throw Error("--split '" + split + "' is unknown (patient or recording)");
  }
  return out;
}

// --split all: members trained on every patient but their own validation group, in one file.
nlohmann::json train_all_run(const TrainRunOptions& o) {
  auto t0 = std::chrono::steady_clock::now();
  if (o.members < 2 || o.members > model::kMaxMembers)
    throw Error("--members: must be 2-" + std::to_string(model::kMaxMembers) + " (each member's schedule comes from "
                "patients it does not train on) (got " + std::to_string(o.members) + ")");
  if (o.seeds < 1 || o.members * o.seeds > model::kMaxMembers)
    throw Error("--seeds: must be >= 1 with --members x --seeds <= " + std::to_string(model::kMaxMembers) + " (got " +
                std::to_string(o.seeds) + " x " + std::to_string(o.members) + ")");
  const int n_models = o.members * o.seeds;
  nlohmann::json config = {{"preset", o.preset->to_json()}, {"members", o.members}, {"seed", o.seed}};
  if (o.seeds > 1) config["seeds"] = o.seeds;  // absent: folders from before --seeds still resume
  claim_run_folder(o.out_dir, o.out_dir + "/members/config.json", config, "members trained");
  LoadedSet set = load_dataset(o.data, *o.preset);
  const auto items = set.items();
  const auto groups = data::stratified_group_kfold(items, o.members, o.seed);
  model::Checkpoint bundle;
  std::vector<float> threshold_sum;
  nlohmann::json members = nlohmann::json::array();
  double val_acc_sum = 0, temperature_sum = 0;
  // Model k: validation group k % members, training seed seed + k (members first, then repeats).
  for (int k = 0; k < n_models; ++k) {
    const std::string dir = o.out_dir + "/members/" + std::to_string(k);
    if (!train::dist::rank0_says(fs::exists(dir + "/done.json"))) {  // ranks: as rank 0 sees it
      auto f0 = std::chrono::steady_clock::now();
      data::Split s = groups[size_t(k % o.members)];
      s.val = std::move(s.test);
      s.test.clear();
      data::check_no_leak(items, s);
      keep_trainable(set, *o.preset, s);
      auto preset = o.preset->clone();
      preset->train.seed = o.seed + uint64_t(k);
      pipeline::Model m = seeded_model(std::move(preset), o.data.quiet);
      FitJob job{"train all patients, member " + std::to_string(k + 1) + "/" + std::to_string(n_models),
                 dir + "/train_state.pt", /*resume=*/true, o.data.quiet, {}, {}};
      train::FitResult fit = fit_model(m, make_train_set(set, all_views(s.train), *m.preset),
                                       make_set(set, all_views(s.val), *m.preset), job);
      choose_operating_points(m, set, s.val);
      calibrate(m, set, s.val);
      model::write_checkpoint(dir + "/model.pth",
                              make_checkpoint(m, fit, {{"dataset_fingerprint", set.fingerprint}, {"split", "all"},
                                                       {"member", k}, {"members", n_models}, {"seed", m.preset->train.seed},
                                                       {"stop_reason", fit.stop_reason}}));
      util::write_file_atomic(dir + "/done.json",
                              util::json_text(nlohmann::json{{"member", k}, {"validation_group", k % o.members},
                                                             {"seed", m.preset->train.seed},
                                                             {"best_epoch", fit.best_epoch},
                                                             {"best_val_acc", fit.best_val_acc},
                                                             {"stop_reason", fit.stop_reason},
                                                             {"n_val_recordings", s.val.size()},
                                                             {"temperature", m.preset->temperature},
                                                             {"history", history_json(fit)},
                                                             {"seconds", std::chrono::duration<double>(
                                                                             std::chrono::steady_clock::now() - f0).count()}},
                                              1));
      train::remove_training_state(dir + "/train_state.pt");
    }
    if (!train::dist::is_rank0()) continue;  // several ranks: rank 0 writes the model file
    const model::Checkpoint ck = model::read_checkpoint(dir + "/model.pth");
    if (k == 0) {
      bundle = ck;
      bundle.state_dict = model::StateDict();
    }
    model::add_member_state(bundle.state_dict, ck.state_dict, k);
    const auto member_preset = pipeline::preset_from_json(ck.murmur_config);
    const auto thresholds = member_preset->thresholds();
    temperature_sum += member_preset->temperature;
    threshold_sum.resize(thresholds.size(), 0.f);
    for (size_t i = 0; i < thresholds.size(); ++i) threshold_sum[i] += thresholds[i];
    val_acc_sum += ck.val_acc;
    auto done = read_json_file(dir + "/done.json");
    done.erase("history");
    members.push_back(done);
  }
  if (!train::dist::is_rank0()) return {{"status", "rank"}, {"rank", train::dist::rank()}};
  // The file: every member's weights, one preset whose thresholds are the members' mean (what a
  // folder of models answers with too).
  auto preset = pipeline::preset_from_json(bundle.murmur_config)->clone();
  if (!threshold_sum.empty()) {
    for (auto& t : threshold_sum) t /= float(n_models);
    preset->set_thresholds(threshold_sum);
  }
  preset->temperature = temperature_sum / n_models;  // the members' mean, as their thresholds
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  bundle.murmur_config = preset->to_json();
  bundle.n_members = n_models;
  bundle.epoch = -1;
  bundle.val_acc = val_acc_sum / n_models;
  bundle.provenance = {{"dataset_fingerprint", set.fingerprint}, {"data_dir", o.data.data_dir},
                       {"sources", set.sources()}, {"split", "all"},
                       {"members", n_models}, {"validation_groups", o.members}, {"training_seeds", o.seeds},
                       {"seed", o.seed}, {"threads", o.data.threads}, {"wall_time_s", seconds}};
  model::write_checkpoint(o.out_dir + "/model.pth", bundle);
  model::write_class_names_json(o.out_dir + "/class_names.json", preset->output_names());
  nlohmann::json summary = {{"preset", preset->name()}, {"split", "all"}, {"seed", o.seed}, {"members", members},
                            {"note", "trained on every patient: nothing is held out, so there are no test figures; "
                                     "its expected accuracy on new patients is that of a cv run of the same preset"},
                            {"n_recordings", set.recordings.size()}, {"skipped", set.skipped},
                            {"anomalies", set.anomalies}, {"provenance", bundle.provenance},
                            {"machine", machine_json(o.data.threads)}, {"wall_time_s", seconds}};
  util::write_file_atomic(o.out_dir + "/metrics.json", util::json_text(summary, 1));
  return summary;
}

}  // namespace

std::vector<int> test_recordings(const LoadedSet& set, const pipeline::Preset& preset, const std::string& split,
                                 uint64_t seed) {
  return split_refs(set, preset, split, seed).test_recordings;
}

nlohmann::json train_run(const TrainRunOptions& o) {
  if (o.split == "all") return train_all_run(o);
  auto t0 = std::chrono::steady_clock::now();
  LoadedSet set = load_dataset(o.data, *o.preset);
  require_every_label(set, *o.preset, "train --split " + o.split + ": the test metrics");
  if (o.split == "recording")
    std::cerr << "murmur: WARNING: --split recording leaks patients: it is the reference's split, which puts one "
                 "patient's recordings (and a recording's time-reversed twin) on both sides, so its accuracy "
                 "overstates how well the model does on new patients. Use --split patient (the default) for an "
                 "honest estimate.\n";
  SplitRefs refs = split_refs(set, *o.preset, o.split, o.seed);
  auto preset = o.preset->clone();
  preset->train.seed = o.seed;
  pipeline::Model m = seeded_model(std::move(preset), o.data.quiet);
  train::Batchable train_set = make_train_set(set, refs.train, *m.preset);
  train::Batchable val = make_set(set, refs.val, *m.preset);
  const std::string state_path = o.out_dir + "/train_state.pt";
  const bool resuming = o.resume && fs::exists(state_path);
  if (train::dist::is_rank0()) {  // several ranks: rank 0's state decides (train::fit)
    if (o.resume && !resuming)
      std::cerr << "murmur: nothing to resume in " << o.out_dir << " (no train_state.pt); starting afresh\n";
    else if (!o.resume && fs::exists(state_path))
      std::cerr << "murmur: " << state_path << " holds an interrupted run; starting afresh (--resume continues it)\n";
  }
  std::string epoch_lines;
  FitJob job{"train " + m.preset->name(), state_path, resuming, o.data.quiet, [&](const train::EpochLog& e) {
               // One JSON line per epoch next to the checkpoint (rewritten whole, atomically).
               epoch_lines += util::json_text(nlohmann::json(e)) + "\n";
               util::write_file_atomic(o.out_dir + "/epochs.jsonl", epoch_lines);
             }, {}};
  train::FitResult fit = fit_model(m, train_set, val, job);
  std::vector<int> val_recordings;
  for (auto& r : refs.val) val_recordings.push_back(r.recording);
  val_recordings.erase(std::unique(val_recordings.begin(), val_recordings.end()), val_recordings.end());
  choose_operating_points(m, set, val_recordings);
  calibrate(m, set, val_recordings);
  // Test: the reference's image-level accuracy, and recording / patient level.
  train::Batchable test = make_set(set, refs.test, *m.preset);
  train::Evaluation test_eval = train::evaluate(*m.net.module, m.net.forward, test,
                                                torch::ones({int(m.preset->output_names().size())}), m.preset->train.batch_size);
  eval::Predictions preds;
  for (int i : refs.test_recordings)
    preds.push_back(prediction_row(set.recordings[size_t(i)], m.recording_probs(set.stored[size_t(i)]), 0, 0, *m.preset));
  nlohmann::json metrics = evaluate_rows(preds, *m.preset);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  nlohmann::json provenance = {{"dataset_fingerprint", set.fingerprint}, {"data_dir", o.data.data_dir},
                               {"sources", set.sources()}, {"split", o.split}, {"seed", o.seed}, {"threads", o.data.threads},
                               {"n_train_examples", train_set.size()}, {"n_val_examples", val.size()},
                               {"stop_reason", fit.stop_reason}, {"resumed", resuming},
                               {"wall_time_s", seconds}};
  model::write_checkpoint(o.out_dir + "/model.pth", make_checkpoint(m, fit, provenance));
  model::write_class_names_json(o.out_dir + "/class_names.json", m.preset->output_names());
  nlohmann::json summary = {{"preset", m.preset->name()}, {"split", o.split}, {"seed", o.seed},
                            {"best_epoch", fit.best_epoch}, {"best_val_acc", fit.best_val_acc},
                            {"stop_reason", fit.stop_reason},
                            {"test_view_accuracy", test_eval.acc}, {"test_view_count", test.size()},
                            {"test", metrics}, {"history", history_json(fit)}, {"skipped", set.skipped},
                            {"anomalies", set.anomalies}, {"provenance", provenance},
                            {"machine", machine_json(o.data.threads)}, {"wall_time_s", seconds}};
  util::write_file_atomic(o.out_dir + "/metrics.json", util::json_text(summary, 1));
  train::remove_training_state(state_path);
  return summary;
}

nlohmann::json evaluate_run(const std::string& model_path, const DataOptions& data, const std::string& split_override,
                            const std::vector<std::string>& eval_overrides) {
  if (fs::is_directory(model_path))
    throw Error(model_path + ": evaluate takes one model file (a cv run folder has its own report.json)");
  auto predictor = pipeline::Predictor::open(model_path, eval_overrides);
  const pipeline::Preset& preset = predictor.preset();
  LoadedSet set = load_dataset(data, preset);
  const nlohmann::json& prov = predictor.info()["models"][0]["provenance"];
  const bool has_split = prov.is_object() && prov.contains("split") && prov["split"] != "cv";
  if (has_split && prov["split"] == "all" && split_override.empty())
    throw Error(model_path + ": trained on every patient (--split all), so every recording here is one it learnt "
                "from; its honest estimate is a cv run of the same preset (murmur cv)");
  std::string split = !split_override.empty() ? split_override : has_split ? prov["split"].get<std::string>() : "all";
  uint64_t seed = has_split ? prov.value("seed", uint64_t(0)) : 0;
  nlohmann::json out = {{"model", model_path}, {"preset", preset.name()}, {"split", split}, {"seed", seed},
                        {"warnings", nlohmann::json::array()}};
  if (has_split && prov.value("dataset_fingerprint", "") != set.fingerprint)
    out["warnings"].push_back("the data set differs from the one the model was trained on: the test side is "
                              "recomputed on this data and may include training recordings");
  std::vector<int> which;
  if (split == "all") {
    for (size_t i = 0; i < set.recordings.size(); ++i) which.push_back(int(i));
    if (!has_split) out["warnings"].push_back("no training split recorded in the model: evaluated on every recording");
  } else {
    which = test_recordings(set, preset, split, seed);
  }
  require_every_label(set, preset, "evaluate: the metrics");
  eval::Predictions preds;
  for (int i : which)
    preds.push_back(prediction_row(set.recordings[size_t(i)], predictor.predict_stored(set.stored[size_t(i)]), 0, 0, preset));
  out["metrics"] = evaluate_rows(preds, preset);
  out["skipped"] = set.skipped;
  return out;
}

}  // namespace murmur::experiment
