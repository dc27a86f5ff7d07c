#include "train/experiment.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <thread>

#include "data/cache.h"
#include "data/splits.h"
#include "eval/report.h"
#include "features/seed_image.h"
#include "model/checkpoint.h"
#include "model/seed_cnn.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/progress.h"

namespace murmur::train {

namespace fs = std::filesystem;

namespace {

std::string default_cache_dir() {
  if (const char* x = std::getenv("MURMUR_CACHE_DIR")) return x;
  if (const char* x = std::getenv("XDG_CACHE_HOME")) return std::string(x) + "/murmur";
  if (const char* h = std::getenv("HOME")) return std::string(h) + "/.cache/murmur";
  return "";
}

std::vector<data::Item> items_of(const LoadedSet& set) {
  std::vector<data::Item> items;
  for (auto& r : set.recordings) items.push_back({r.patient_id, r.label});
  return items;
}

// One training example: a recording's view (-1: all of its views).
struct ViewRef {
  int recording;
  int view;
};

std::vector<ViewRef> all_views(const std::vector<int>& recordings) {
  std::vector<ViewRef> v;
  for (int r : recordings) v.push_back({r, -1});
  return v;
}

// `copies` > 1 repeats each example (native: several random windows per recording per epoch).
Batchable make_set(const LoadedSet& set, const std::vector<ViewRef>& refs, const model::Preset& preset, int copies = 1) {
  std::vector<torch::Tensor> xs;
  std::vector<int64_t> ys;
  for (auto& ref : refs) {
    auto v = preset.train_views(set.stored[size_t(ref.recording)]);
    if (ref.view >= 0) v = v.slice(0, ref.view, ref.view + 1);
    if (copies > 1) v = v.repeat_interleave(copies, 0);
    xs.push_back(v);
    for (int64_t i = 0; i < v.size(0); ++i) ys.push_back(set.recordings[size_t(ref.recording)].label);
  }
  if (xs.empty()) return {};
  return {torch::cat(xs), torch::tensor(ys, torch::kLong), {}};
}

// The training set: make_set's examples plus, if the data set loaded any, the multi-disease
// recordings with even target distributions over their diseases (then every example has one).
Batchable make_train_set(const LoadedSet& set, const std::vector<ViewRef>& refs, const model::Preset& preset) {
  const int copies = preset.examples_per_recording();
  Batchable b = make_set(set, refs, preset, copies);
  if (set.extra.empty()) return b;
  const int64_t k = int64_t(data::kClassNames.size());
  std::vector<torch::Tensor> xs{b.x}, softs{torch::one_hot(b.y, k).to(torch::kFloat)};
  std::vector<int64_t> ys(size_t(b.size()), 0);
  std::memcpy(ys.data(), b.y.data_ptr<int64_t>(), ys.size() * sizeof(int64_t));
  for (size_t i = 0; i < set.extra.size(); ++i) {
    auto v = preset.train_views(set.extra_stored[i]);
    if (copies > 1) v = v.repeat_interleave(copies, 0);
    auto target = torch::zeros({k});
    for (int label : set.extra[i].labels) target[label] = 1.0 / double(set.extra[i].labels.size());
    xs.push_back(v);
    softs.push_back(target.unsqueeze(0).expand({v.size(0), k}));
    for (int64_t j = 0; j < v.size(0); ++j) ys.push_back(-1);
  }
  return {torch::cat(xs), torch::tensor(ys, torch::kLong), torch::cat(softs)};
}

eval::Prediction predict_one(const model::Classifier& c, const LoadedSet& set, int i, int fold, int repeat) {
  const auto& r = set.recordings[size_t(i)];
  auto probs = c.recording_probs(set.stored[size_t(i)]).contiguous();
  eval::Prediction p;
  p.file = r.name;
  p.patient = r.patient_id;
  p.site = r.site;
  p.position = r.position;
  p.fold = fold;
  p.repeat = repeat;
  p.true_class = r.label;
  p.probs.assign(probs.data_ptr<float>(), probs.data_ptr<float>() + probs.numel());
  return p;
}

// A fresh model whose initial weights follow the preset's training seed (LibTorch's generator
// starts from a different random seed in every process).
model::Classifier seeded_classifier(const model::Preset& preset) {
  torch::manual_seed(preset.train.seed);
  return make_classifier(preset);
}

model::Checkpoint make_checkpoint(const model::Classifier& c, const FitResult& fit, const nlohmann::json& provenance) {
  model::Checkpoint ck;
  ck.state_dict = model::state_dict(*c.module);
  ck.val_acc = 100.0 * fit.best_val_acc;
  for (size_t i = 0; i < data::kClassNames.size(); ++i) ck.label_to_idx[data::kClassNames[i]] = int64_t(i);
  ck.class_names = data::kClassNames;
  ck.epoch = fit.best_epoch;
  ck.preset = c.preset.name;
  ck.murmur_config = c.preset;
  ck.provenance = provenance;
  return ck;
}

nlohmann::json machine_json(int threads) {
  return {{"cores", std::thread::hardware_concurrency()}, {"threads", threads},
          {"murmur_version", MURMUR_VERSION}, {"murmur_commit", MURMUR_GIT_COMMIT}};
}

std::string epoch_note(const EpochLog& e, int epochs) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "epoch %d/%d loss %.3f val_loss %.3f val_acc %.3f lr %.1e (%.1fs)", e.epoch, epochs,
                e.train_loss, e.val_loss, e.val_acc, e.lr, e.seconds);
  return buf;
}

// train_run's split of a loaded set: "recording" (the reference's, per view) or "patient".
struct SplitRefs {
  std::vector<ViewRef> train, val, test;
  std::vector<int> test_recordings;  // sorted, unique
};

SplitRefs split_refs(const LoadedSet& set, const model::Preset& preset, const std::string& split, uint64_t seed) {
  auto items = items_of(set);
  SplitRefs out;
  if (split == "recording") {
    // The reference split images at random: for the seed preset each view is an item of its own.
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
    out.train = all_views(s.train);
    out.val = all_views(s.val);
    out.test = all_views(s.test);
    out.test_recordings = s.test;
  } else {
    throw Error("--split '" + split + "' is unknown (patient or recording)");
  }
  return out;
}

}  // namespace

LoadedSet load_dataset(const DataOptions& options, const model::Preset& preset) {
  preset.validate();
  data::DatasetIndex index = data::index_dataset(options.data_dir);
  LoadedSet set;
  set.fingerprint = index.fingerprint;
  set.n_indexed = int(index.recordings.size());
  for (auto& a : index.anomalies)
    if (a.kind == data::AnomalyKind::kUnreadableAudio || a.kind == data::AnomalyKind::kBadFileName)
      set.skipped.push_back(a.where + ": " + a.message);
  std::vector<data::Recording> chosen;
  for (auto& r : index.recordings)
    if (r.label >= 0 && r.file_class != "MD") chosen.push_back(r);
  const size_t n_single = chosen.size();
  if (preset.name == "native" && preset.native.md_training)
    for (auto& r : index.recordings)
      if (r.file_class == "MD" && !r.labels.empty()) chosen.push_back(r);
  data::FeatureCache cache(options.cache_dir.empty() ? default_cache_dir() : options.cache_dir);
  std::vector<torch::Tensor> stored(chosen.size());
  std::vector<std::string> errors(chosen.size());
  util::Progress bar("features (" + preset.name + ")", long(chosen.size()), options.quiet);
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next++) < chosen.size();) {
      try {
        stored[i] = cache.get_or_compute(chosen[i].path, preset.feature_json(), [&] {
          return preset.features(audio::load(chosen[i].path, preset.audio));
        });
      } catch (const Error& e) {
        errors[i] = e.what();
      }
      bar.tick();
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < std::max(1, options.threads); ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  bar.done();
  for (size_t i = 0; i < chosen.size(); ++i) {
    if (!errors[i].empty()) {
      set.skipped.push_back(errors[i]);
      continue;
    }
    (i < n_single ? set.recordings : set.extra).push_back(chosen[i]);
    (i < n_single ? set.stored : set.extra_stored).push_back(stored[i]);
  }
  for (auto& s : set.skipped) std::cerr << "murmur: skipped " << s << "\n";
  if (set.recordings.empty()) throw Error(options.data_dir + ": no usable single-label recordings (N, AS, AR, MR, MS)");
  return set;
}

nlohmann::json train_run(const TrainRunOptions& o) {
  auto t0 = std::chrono::steady_clock::now();
  LoadedSet set = load_dataset(o.data, o.preset);
  auto items = items_of(set);
  if (o.split == "recording")
    std::cerr << "murmur: WARNING: --split recording leaks patients: it is the reference's split, which puts one "
                 "patient's recordings (and a recording's time-reversed twin) on both sides, so its accuracy "
                 "overstates how well the model does on new patients. Use --split patient (the default) for an "
                 "honest estimate.\n";
  SplitRefs refs = split_refs(set, o.preset, o.split, o.seed);
  const auto& train_refs = refs.train;
  const auto& val_refs = refs.val;
  const auto& test_refs = refs.test;
  const auto& test_recordings = refs.test_recordings;
  model::Preset preset = o.preset;
  preset.train.seed = o.seed;
  model::Classifier c = seeded_classifier(preset);
  Batchable train = make_train_set(set, train_refs, preset);
  Batchable val = make_set(set, val_refs, preset);
  const std::string state_path = o.out_dir + "/train_state.pt";
  const bool resuming = o.resume && fs::exists(state_path);
  if (o.resume && !resuming)
    std::cerr << "murmur: nothing to resume in " << o.out_dir << " (no train_state.pt); starting afresh\n";
  else if (!o.resume && fs::exists(state_path))
    std::cerr << "murmur: " << state_path << " holds an interrupted run; starting afresh (--resume continues it)\n";
  util::Progress bar("train " + preset.name, preset.train.epochs, o.data.quiet);
  std::string epoch_lines;
  FitResult fit_result = fit(*c.module, c.forward, train, val, int(data::kClassNames.size()), preset.train,
                             [&](const torch::Tensor& x) { return preset.augment(x); },
                             [&](const EpochLog& e) {
                               // One JSON line per epoch next to the checkpoint (rewritten whole, atomically).
                               epoch_lines += nlohmann::json(e).dump() + "\n";
                               util::write_file_atomic(o.out_dir + "/epochs.jsonl", epoch_lines);
                               bar.set_note(epoch_note(e, preset.train.epochs));
                               bar.tick();
                             },
                             EpochCheckpoint{state_path, resuming});
  bar.done();
  // Test: the reference's image-level accuracy, and recording / patient level.
  Batchable test = make_set(set, test_refs, preset);
  Evaluation test_eval =
      evaluate(*c.module, c.forward, test, torch::ones({int(data::kClassNames.size())}), preset.train.batch_size);
  eval::Predictions preds;
  for (int i : test_recordings) preds.push_back(predict_one(c, set, i, 0, 0));
  nlohmann::json metrics = eval::evaluate(preds, data::kClassNames, eval::BootstrapConfig{});
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  nlohmann::json provenance = {{"dataset_fingerprint", set.fingerprint}, {"data_dir", o.data.data_dir},
                               {"split", o.split}, {"seed", o.seed}, {"threads", o.data.threads},
                               {"n_train_examples", train.size()}, {"n_val_examples", val.size()},
                               {"stop_reason", fit_result.stop_reason}, {"resumed", resuming},
                               {"wall_time_s", seconds}};
  model::write_checkpoint(o.out_dir + "/model.pth", make_checkpoint(c, fit_result, provenance));
  model::write_class_names_json(o.out_dir + "/class_names.json", data::kClassNames);
  nlohmann::json history = nlohmann::json::array();
  for (auto& e : fit_result.history) history.push_back(e);
  nlohmann::json summary = {{"preset", preset.name}, {"split", o.split}, {"seed", o.seed},
                            {"best_epoch", fit_result.best_epoch}, {"best_val_acc", fit_result.best_val_acc},
                            {"stop_reason", fit_result.stop_reason},
                            {"test_view_accuracy", test_eval.acc}, {"test_view_count", test.size()},
                            {"test", metrics}, {"history", history}, {"skipped", set.skipped},
                            {"provenance", provenance}, {"machine", machine_json(o.data.threads)},
                            {"wall_time_s", seconds}};
  util::write_file_atomic(o.out_dir + "/metrics.json", summary.dump(1));
  remove_training_state(state_path);
  return summary;
}

nlohmann::json cv_run(const CvOptions& o) {
  auto t0 = std::chrono::steady_clock::now();
  // What decides the trained folds; report-time settings (bootstrap, fusion) may differ on resume.
  nlohmann::json config = {{"preset", o.preset}, {"folds", o.folds}, {"repeats", o.repeats}, {"seed", o.seed},
                           {"val_fraction", o.val_fraction}};
  const std::string config_path = o.run_dir + "/config.json";
  if (fs::exists(config_path)) {
    auto old = nlohmann::json::parse(util::read_file(config_path));
    old.erase("bootstrap");  // written by earlier versions
    if (old != config)
      throw Error(o.run_dir + ": holds a run with a different configuration (config.json); choose another "
                  "--output folder or delete it");
  } else {
    util::write_file_atomic(config_path, config.dump(1));
  }
  LoadedSet set = load_dataset(o.data, o.preset);
  auto items = items_of(set);
  const int total = o.folds * o.repeats;
  int finished = 0, ran = 0;
  double fold_seconds = 0;
  for (int r = 0; r < o.repeats; ++r) {
    auto folds = data::stratified_group_kfold(items, o.folds, o.seed + 1000003ULL * uint64_t(r));
    for (int f = 0; f < o.folds; ++f) {
      const std::string dir = o.run_dir + "/repeat" + std::to_string(r) + "/fold" + std::to_string(f);
      if (fs::exists(dir + "/done.json")) { ++finished; continue; }
      if (o.only_fold >= 0 && f != o.only_fold) continue;
      auto f0 = std::chrono::steady_clock::now();
      data::Split split = folds[size_t(f)];
      data::carve_validation(items, split, o.val_fraction, o.seed + uint64_t(1000 * r + f));
      data::check_no_leak(items, split);
      model::Preset preset = o.preset;
      preset.train.seed = o.seed + uint64_t(1000 * r + f);
      model::Classifier c = seeded_classifier(preset);
      Batchable train = make_train_set(set, all_views(split.train), preset);
      Batchable val = make_set(set, all_views(split.val), preset);
      std::string label = "cv " + preset.name + " repeat " + std::to_string(r + 1) + "/" + std::to_string(o.repeats) +
                          " fold " + std::to_string(f + 1) + "/" + std::to_string(o.folds);
      util::Progress bar(label, preset.train.epochs, o.data.quiet);
      FitResult fit_result = fit(*c.module, c.forward, train, val, int(data::kClassNames.size()), preset.train,
                                 [&](const torch::Tensor& x) { return preset.augment(x); },
                                 [&](const EpochLog& e) {
                                   std::string eta;
                                   if (ran > 0) eta = "  run ETA " + util::Progress::format_seconds(fold_seconds / ran * (total - finished - ran));
                                   bar.set_note(epoch_note(e, preset.train.epochs) + eta);
                                   bar.tick();
                                 },
                                 EpochCheckpoint{dir + "/train_state.pt", /*resume=*/true});
      bar.done();
      eval::Predictions preds;
      for (int i : split.test) preds.push_back(predict_one(c, set, i, f, r));
      nlohmann::json provenance = {{"dataset_fingerprint", set.fingerprint}, {"data_dir", o.data.data_dir},
                                   {"split", "cv"}, {"repeat", r}, {"fold", f}, {"seed", preset.train.seed},
                                   {"threads", o.data.threads}, {"stop_reason", fit_result.stop_reason}};
      model::write_checkpoint(dir + "/model.pth", make_checkpoint(c, fit_result, provenance));
      eval::write_predictions_csv(dir + "/predictions.csv", preds, data::kClassNames);
      nlohmann::json history = nlohmann::json::array();
      for (auto& e : fit_result.history) history.push_back(e);
      std::vector<std::string> test_patients, val_patients;
      for (int i : split.test) test_patients.push_back(items[size_t(i)].group);
      for (int i : split.val) val_patients.push_back(items[size_t(i)].group);
      for (auto* v : {&test_patients, &val_patients}) v->erase(std::unique(v->begin(), v->end()), v->end());
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - f0).count();
      util::write_file_atomic(dir + "/done.json",
                              nlohmann::json{{"history", history}, {"best_epoch", fit_result.best_epoch},
                                             {"best_val_acc", fit_result.best_val_acc},
                                             {"stop_reason", fit_result.stop_reason},
                                             {"test_patients", test_patients}, {"val_patients", val_patients},
                                             {"seconds", secs}}.dump(1));
      remove_training_state(dir + "/train_state.pt");
      fold_seconds += secs;
      ++ran;
    }
  }
  if (finished + ran < total) {
    return {{"status", "partial"}, {"folds_done", finished + ran}, {"folds_total", total}, {"run_dir", o.run_dir}};
  }
  // Every fold is done: gather out-of-fold predictions and curves, write the report.
  eval::Predictions oof;
  eval::Curves curves;
  double train_seconds = 0;
  for (int r = 0; r < o.repeats; ++r)
    for (int f = 0; f < o.folds; ++f) {
      const std::string dir = o.run_dir + "/repeat" + std::to_string(r) + "/fold" + std::to_string(f);
      auto preds = eval::read_predictions_csv(dir + "/predictions.csv");
      oof.insert(oof.end(), preds.begin(), preds.end());
      auto done = nlohmann::json::parse(util::read_file(dir + "/done.json"));
      eval::Curve c;
      c.fold = f;
      c.repeat = r;
      for (auto& e : done["history"]) {
        c.train_loss.push_back(e["train_loss"].get<float>());
        c.val_loss.push_back(e["val_loss"].get<float>());
        c.val_acc.push_back(e["val_acc"].get<float>());
      }
      curves.push_back(c);
      train_seconds += done.value("seconds", 0.0);
    }
  eval::write_predictions_csv(o.run_dir + "/oof_predictions.csv", oof, data::kClassNames);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  nlohmann::json meta = {{"title", "murmur cross-validation: preset " + o.preset.name},
                         {"config", config}, {"bootstrap", o.bootstrap}, {"data_dir", o.data.data_dir},
                         {"dataset_fingerprint", set.fingerprint}, {"skipped", set.skipped},
                         {"machine", machine_json(o.data.threads)},
                         {"wall_time_s", seconds}, {"fold_training_time_s", train_seconds}};
  nlohmann::json report = eval::build_report(oof, curves, data::kClassNames, meta, o.bootstrap);
  eval::write_report(o.run_dir, report);
  return report;
}

nlohmann::json evaluate_run(const std::string& model_path, const DataOptions& data, const std::string& split_override) {
  if (std::filesystem::is_directory(model_path))
    throw Error(model_path + ": evaluate takes one model file (a cv run folder has its own report.json)");
  Predictor predictor = Predictor::open(model_path);
  const model::Preset& preset = predictor.preset();
  LoadedSet set = load_dataset(data, preset);
  const nlohmann::json& prov = predictor.info()["models"][0]["provenance"];
  const bool has_split = prov.is_object() && prov.contains("split") && prov["split"] != "cv";
  std::string split = !split_override.empty() ? split_override : has_split ? prov["split"].get<std::string>() : "all";
  uint64_t seed = has_split ? prov.value("seed", uint64_t(0)) : 0;
  nlohmann::json out = {{"model", model_path}, {"preset", preset.name}, {"split", split}, {"seed", seed},
                        {"warnings", nlohmann::json::array()}};
  if (has_split && prov.value("dataset_fingerprint", "") != set.fingerprint)
    out["warnings"].push_back("the data set differs from the one the model was trained on: the test side is "
                              "recomputed on this data and may include training recordings");
  std::vector<int> which;
  if (split == "all") {
    for (size_t i = 0; i < set.recordings.size(); ++i) which.push_back(int(i));
    if (!has_split) out["warnings"].push_back("no training split recorded in the model: evaluated on every recording");
  } else {
    which = split_refs(set, preset, split, seed).test_recordings;
  }
  eval::Predictions preds;
  for (int i : which) {
    const auto& r = set.recordings[size_t(i)];
    auto probs = predictor.predict_stored(set.stored[size_t(i)]).contiguous();
    eval::Prediction p{r.name, r.patient_id, r.site, r.position, 0, 0, r.label,
                       std::vector<float>(probs.data_ptr<float>(), probs.data_ptr<float>() + probs.numel())};
    preds.push_back(std::move(p));
  }
  eval::BootstrapConfig boot;
  boot.patient_fusion = default_fusion(preset);
  out["metrics"] = eval::evaluate(preds, predictor.class_names(), boot);
  out["skipped"] = set.skipped;
  return out;
}

std::string default_fusion(const model::Preset& preset) { return preset.name == "native" ? "geometric" : "mean"; }

Predictor Predictor::open(const std::string& path) {
  std::vector<std::string> files;
  if (fs::is_directory(path)) {
    for (auto& e : fs::recursive_directory_iterator(path))
      if (e.path().filename() == "model.pth") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    if (files.empty()) throw Error(path + ": no model.pth inside (expected a model file or a cv run folder)");
  } else {
    files.push_back(path);
  }
  Predictor p;
  for (auto& file : files) {
    model::Checkpoint ck = model::read_checkpoint(file);
    model::Preset preset;
    if (ck.murmur_config.is_object()) {
      preset = ck.murmur_config.get<model::Preset>();
    } else {
      preset = model::Preset::named("seed");  // the reference's own checkpoint carries no config
    }
    model::Classifier c = make_classifier(preset);
    model::load_into(*c.module, ck.state_dict, file);
    c.module->eval();
    if (auto seed = std::dynamic_pointer_cast<model::SeedCnnImpl>(c.module)) {
      // Inference only from here: BatchNorm folded into the convolutions (same logits, faster).
      auto folded = std::make_shared<model::FoldedSeedCnn>(*seed);
      c.forward = [folded, image = preset.image](const torch::Tensor& x) {
        return folded->forward(model::normalise_seed(x, image));
      };
    }
    if (!p.models_.empty() && p.models_.front().preset.feature_json() != preset.feature_json())
      throw Error(file + ": preprocessing differs from " + files.front() + "; an ensemble needs one preset");
    p.class_names_ = ck.class_names;
    p.models_.push_back(std::move(c));
    p.info_["models"].push_back({{"path", file}, {"preset", preset.name}, {"epoch", ck.epoch},
                                 {"val_acc", ck.val_acc}, {"provenance", ck.provenance}});
  }
  p.info_["preset"] = p.models_.front().preset;
  p.info_["class_names"] = p.class_names_;
  p.info_["n_models"] = p.models_.size();
  return p;
}

torch::Tensor Predictor::mean_over_models(const std::function<torch::Tensor(const model::Classifier&)>& probs) const {
  torch::Tensor sum;
  for (auto& m : models_) {
    auto p = probs(m);
    sum = sum.defined() ? sum + p : p;
  }
  return sum / double(models_.size());
}

torch::Tensor Predictor::predict_stored(const torch::Tensor& stored) const {
  return mean_over_models([&](const model::Classifier& m) { return m.recording_probs(stored); });
}

torch::Tensor Predictor::predict_audio(const audio::Audio& a) const {
  const auto& p = preset();
  if (a.sample_rate_hz == p.audio.target_rate_hz) return predict_stored(p.features(a));
  audio::Audio resampled = a;
  resampled.samples = audio::resample(a.samples, a.sample_rate_hz, p.audio.target_rate_hz);
  resampled.sample_rate_hz = p.audio.target_rate_hz;
  return predict_stored(p.features(resampled));
}

torch::Tensor Predictor::predict_file(const std::string& path) const {
  const std::string ext = fs::path(path).extension().string();
  if (ext == ".png" || ext == ".PNG") {
    // One of the reference's spectrogram pictures: its own eval transform, no twin.
    if (preset().name != "seed") throw Error(path + ": a picture needs a seed-preset model (this one is " + preset().name + ")");
    auto x = features::image_to_input(features::read_png(path), preset().image);
    const int s = preset().image.input_size_px;
    auto input = torch::from_blob(x.data(), {1, 3, s, s}, torch::kFloat).clone();
    torch::NoGradGuard no_grad;
    return mean_over_models([&](const model::Classifier& m) {
      m.module->eval();
      return torch::softmax(m.forward(input), 1)[0];
    });
  }
  return predict_stored(preset().features(audio::load(path, preset().audio)));
}

}  // namespace murmur::train
