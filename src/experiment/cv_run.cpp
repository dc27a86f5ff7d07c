#include "experiment/cv_run.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>

#include "eval/calibration.h"
#include "eval/report.h"
#include "experiment/cv_explain.h"
#include "experiment/loso_run.h"
#include "experiment/merge.h"
#include "experiment/shift_bench.h"
#include "experiment/runs.h"
#include "train/distributed.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/progress.h"
#include "util/version.h"
#include "util/json.h"

namespace murmur::experiment {

namespace fs = std::filesystem;

namespace {

// Trains and tests one fold into `dir` (model.pth, predictions.csv, done.json); returns its seconds.
// `always_train`: recordings of other sources (CvOptions::test_source), added after the validation
// patients are carved, so that validation, thresholds and the choice of epoch stay on the test source.
double run_fold(const CvOptions& o, const LoadedSet& set, const std::vector<data::Item>& items, data::Split split,
                const std::vector<int>& always_train, int r, int f, const std::string& dir,
                const std::function<std::string()>& eta) {
  auto f0 = std::chrono::steady_clock::now();
  data::carve_validation(items, split, o.val_fraction, o.seed + uint64_t(1000 * r + f));
  split.train.insert(split.train.end(), always_train.begin(), always_train.end());
  data::check_no_leak(items, split);
  keep_trainable(set, *o.preset, split);
  std::set<std::string> sources_trained;
  for (int i : split.train) sources_trained.insert(set.recordings[size_t(i)].source);
  auto preset = o.preset->clone();
  preset->train.seed = o.seed + uint64_t(1000 * r + f) + 1000003ULL * o.train_seed;
  pipeline::Model m = seeded_model(std::move(preset), o.data.quiet);
  train::Batchable train_set = make_train_set(set, all_views(split.train), *m.preset);
  train::Batchable val = make_set(set, all_views(split.val), *m.preset);
  FitJob job{"cv " + m.preset->name() + " repeat " + std::to_string(r + 1) + "/" + std::to_string(o.repeats) +
                 " fold " + std::to_string(f + 1) + "/" + std::to_string(o.folds),
             dir + "/train_state.pt", /*resume=*/true, o.data.quiet, {}, eta};
  train::FitResult fit = fit_model(m, train_set, val, job);
  choose_operating_points(m, set, split.val);
  calibrate(m, set, split.val);
  eval::Predictions preds;
  for (int i : split.test)
    preds.push_back(prediction_row(set.recordings[size_t(i)], m.recording_probs(set.stored[size_t(i)]), f, r, *m.preset));
  nlohmann::json provenance = {{"dataset_fingerprint", set.fingerprint}, {"data_dir", o.data.data_dir},
                               {"split", "cv"}, {"repeat", r}, {"fold", f},
                               {"trained_on_sources", sources_trained}, {"seed", m.preset->train.seed},
                               {"threads", o.data.threads}, {"stop_reason", fit.stop_reason}};
  model::write_checkpoint(dir + "/model.pth", make_checkpoint(m, fit, provenance));
  eval::write_predictions_csv(dir + "/predictions.csv", preds, m.preset->output_names());
  std::vector<std::string> test_patients, val_patients;
  for (int i : split.test) test_patients.push_back(items[size_t(i)].group);
  for (int i : split.val) val_patients.push_back(items[size_t(i)].group);
  for (auto* v : {&test_patients, &val_patients}) v->erase(std::unique(v->begin(), v->end()), v->end());
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - f0).count();
  util::write_file_atomic(dir + "/done.json", util::json_text(nlohmann::json{{"history", history_json(fit)},
                                                             {"trained_on_sources", sources_trained},
                                                             {"n_train_recordings", split.train.size()},
                                                             {"best_epoch", fit.best_epoch},
                                                             {"best_val_acc", fit.best_val_acc},
                                                             {"stop_reason", fit.stop_reason},
                                                             {"test_patients", test_patients},
                                                             {"val_patients", val_patients},
                                                             {"thresholds", m.preset->thresholds()},
                                                             {"temperature", m.preset->temperature},
                                                             {"seconds", secs},
                                                             {"murmur_commit", util::git_commit()},
                                                             {"dataset_fingerprint", set.fingerprint}}, 1));
  train::remove_training_state(dir + "/train_state.pt");
  return secs;
}

// Repeat r's folds. With a test source: folds over its patients alone (the same folds as a run on
// that source by itself), every other recording in `always_train`.
std::vector<data::Split> patient_folds(const CvOptions& o, const LoadedSet& set, const std::vector<data::Item>& items,
                                       int r, std::vector<int>* always_train) {
  const uint64_t seed = o.seed + 1000003ULL * uint64_t(r);
  always_train->clear();
  if (o.test_source.empty()) return data::stratified_group_kfold(items, o.folds, seed);
  std::vector<int> mine;
  std::vector<data::Item> sub;
  for (size_t i = 0; i < items.size(); ++i) {
    if (set.recordings[i].source != o.test_source) { always_train->push_back(int(i)); continue; }
    mine.push_back(int(i));
    sub.push_back(items[i]);
  }
  if (mine.empty())
    throw Error("cv: --test-source '" + o.test_source + "' has no usable recording in " + o.data.data_dir +
                " (its sources: " + set.sources_text() + ")");
  // Stand-in strata (a patient without valve labels, LoadedSet::items) numbered in the order this
  // source alone would number them: the folds then equal those of a run on it alone.
  std::map<int, int> strata;
  for (auto& it : sub)
    for (int& l : it.labels)
      if (l >= data::kNumClasses) l = data::kNumClasses + strata.emplace(l, int(strata.size())).first->second;
  auto folds = data::stratified_group_kfold(sub, o.folds, seed);
  for (auto& s : folds)
    for (auto* side : {&s.train, &s.val, &s.test})
      for (int& i : *side) i = mine[size_t(i)];
  return folds;
}

}  // namespace

nlohmann::json cv_run(const CvOptions& o) {
  if (o.split == "source" && !o.test_source.empty())
    throw Error("cv: --test-source needs --split patient (--split source already tests on every source in turn)");
  if (o.split == "source") return loso_run(o);
  if (o.split != "patient") throw Error("cv: --split '" + o.split + "' is unknown (patient or source)");
  auto t0 = std::chrono::steady_clock::now();
  // What decides the trained folds; report-time settings (bootstrap, fusion) may differ on resume.
  nlohmann::json config = {{"preset", o.preset->to_json()}, {"folds", o.folds}, {"repeats", o.repeats},
                           {"seed", o.seed}, {"val_fraction", o.val_fraction}};
  if (o.train_seed > 0) config["train_seed"] = o.train_seed;  // absent: runs before it existed still resume
  if (!o.test_source.empty()) config["test_source"] = o.test_source;
  claim_run_folder(o.run_dir, o.run_dir + "/config.json", config, "a run");
  LoadedSet set = load_dataset(o.data, *o.preset);
  require_every_label(set, *o.preset, "cv: patient folds", o.test_source);
  const auto items = set.items();
  const int total = o.folds * o.repeats;
  write_plan(o.run_dir, fold_units(o.repeats, o.folds));  // for murmur status and merge (experiment/merge.h)
  int finished = 0, ran = 0;
  double fold_seconds = 0;
  for (int r = 0; r < o.repeats; ++r) {
    std::vector<int> always_train;
    auto folds = patient_folds(o, set, items, r, &always_train);
    for (int f = 0; f < o.folds; ++f) {
      const std::string dir = fold_dir(o.run_dir, r, f);
      if (train::dist::rank0_says(fs::exists(dir + "/done.json"))) { ++finished; continue; }  // ranks: as rank 0 sees it
      if (o.only_fold >= 0 && f != o.only_fold) continue;
      auto eta = [&]() -> std::string {
        if (ran == 0) return "";
        return "  run ETA " + util::Progress::format_seconds(fold_seconds / ran * (total - finished - ran));
      };
      fold_seconds += run_fold(o, set, items, folds[size_t(f)], always_train, r, f, dir, eta);
      ++ran;
    }
  }
  if (!train::dist::is_rank0()) return {{"status", "rank"}, {"rank", train::dist::rank()}};  // rank 0 reports
  // Folds that other processes finished meanwhile count too: of a cluster's jobs, the last to finish reports.
  if (const auto left = run_status(o.run_dir).missing; !left.empty())
    return {{"status", "partial"}, {"folds_done", total - int(left.size())}, {"folds_total", total}, {"run_dir", o.run_dir}};
  // Every fold is done: gather out-of-fold predictions and curves, write the report.
  eval::Predictions oof;
  eval::Curves curves;
  double train_seconds = 0;
  std::map<std::string, double> temperatures;  // "repeat/fold" -> T (folds trained before calibration: none)
  for (int r = 0; r < o.repeats; ++r)
    for (int f = 0; f < o.folds; ++f) {
      const std::string dir = fold_dir(o.run_dir, r, f);
      auto preds = eval::read_predictions_csv(dir + "/predictions.csv");
      oof.insert(oof.end(), preds.begin(), preds.end());
      auto done = read_json_file(dir + "/done.json");
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
      if (done.contains("temperature"))
        temperatures[std::to_string(r) + "/" + std::to_string(f)] = done["temperature"].get<double>();
    }
  const auto outputs = o.preset->output_names();
  eval::write_predictions_csv(o.run_dir + "/oof_predictions.csv", oof, outputs);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const eval::Fusion fusion = o.fusion.value_or(o.preset->patient_fusion());
  std::string title = "murmur cross-validation: preset " + o.preset->name();
  if (!o.test_source.empty()) title += ", patients of " + o.test_source + " (every other source in training)";
  nlohmann::json meta = {{"title", title},
                         {"config", config}, {"bootstrap", o.bootstrap},
                         {"patient_fusion", eval::fusion_name(fusion)}, {"data_dir", o.data.data_dir},
                         {"data_fingerprint", set.fingerprint}, {"skipped", set.skipped},
                         {"excluded", set.excluded}, {"anomalies", set.anomalies}, {"machine", machine_json(o.data.threads)},
                         {"wall_time_s", seconds}, {"fold_training_time_s", train_seconds}};
  nlohmann::json report = eval::build_report(oof, curves, outputs, meta, o.bootstrap, fusion);
  report["calibration"] = eval::calibration_json(oof, outputs, fusion, temperatures);
  if (o.shifts) report["shifts"] = shift_bench(o.run_dir, set, o.folds, o.bootstrap, fusion, o.data.threads, o.data.quiet);
  if (o.explain) report["explanations"] = explain_cv_run(o.run_dir, set, o.folds, o.data.quiet);
  eval::write_report(o.run_dir, report);
  return report;
}

}  // namespace murmur::experiment
