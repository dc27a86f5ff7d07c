#include "experiment/shift_bench.h"

#include <cmath>
#include <filesystem>
#include <map>

#include "audio/shift.h"
#include "eval/calibration.h"
#include "eval/predictions.h"
#include "experiment/runs.h"
#include "pipeline/predictor.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/pool.h"
#include "util/progress.h"

namespace murmur::experiment {

namespace fs = std::filesystem;

namespace {

// One fold's test recordings under every shift; written to DIR/shifts.csv.
eval::Predictions shift_fold(const std::string& run_dir, int fold, const LoadedSet& set,
                             const std::map<std::string, size_t>& index_of, int threads, util::Progress& bar,
                             std::vector<std::string>& failed) {
  const std::string dir = fold_dir(run_dir, 0, fold), path = dir + "/shifts.csv";
  if (fs::exists(path)) return eval::read_predictions_csv(path);
  const auto rows = eval::read_predictions_csv(dir + "/predictions.csv");
  const auto predictor = pipeline::Predictor::open(dir + "/model.pth");
  const auto shifts = audio::bench_shifts();
  std::vector<eval::Predictions> out(rows.size());
  std::vector<std::string> problems(rows.size());
  const int torch_threads = torch::get_num_threads();
  if (threads > 1) torch::set_num_threads(1);  // one recording per core, as predict does
  util::parallel_for(rows.size(), threads, [&](size_t i) {
    bar.tick();
    auto at = index_of.find(rows[i].file);
    if (at == index_of.end()) return;
    try {
      const auto a = audio::load(set.recordings[at->second].path, predictor.preset().audio);
      const uint64_t seed = std::hash<std::string>{}(rows[i].file);
      for (const auto& s : shifts) {
        const auto clips = audio::apply_shift(a, s, seed);
        for (size_t k = 0; k < clips.size(); ++k) {
          eval::Prediction r = rows[i];
          r.file = s.name() + "|" + rows[i].file + "#" + std::to_string(k);
          auto p = predictor.predict_audio(clips[k]).to(torch::kFloat).contiguous();
          r.probs.assign(p.data_ptr<float>(), p.data_ptr<float>() + p.numel());
          out[i].push_back(std::move(r));
        }
      }
    } catch (const Error& e) {
      problems[i] = e.what();
    }
  });
  torch::set_num_threads(torch_threads);
  eval::Predictions all;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!problems[i].empty()) failed.push_back(problems[i]);
    all.insert(all.end(), out[i].begin(), out[i].end());
  }
  eval::write_predictions_csv(path, all, predictor.class_names());
  return all;
}

nlohmann::json scored(const eval::Predictions& rows, const std::vector<std::string>& names,
                      const eval::BootstrapConfig& boot, eval::Fusion fusion) {
  const auto m = eval::evaluate(rows, names, boot, fusion);
  const auto c = eval::calibration_json(rows, names, fusion);
  nlohmann::json sure;  // answering only at a top probability of 0.6 or more
  for (const auto& s : c["recording"]["selective"])
    if (s["min_confidence"].get<double>() == 0.6) sure = s;
  return {{"n_rows", rows.size()},
          {"recording", m["recording"]["balanced_accuracy"]},
          {"patient", m["patient"]["balanced_accuracy"]},
          {"ece_recording", c["recording"]["ece"]},
          {"answered_at_0.6", sure}};
}

double value_of(const nlohmann::json& stat) {
  return stat.contains("value") && stat["value"].is_number() ? stat["value"].get<double>() : std::nan("");
}

}  // namespace

nlohmann::json shift_bench(const std::string& run_dir, const LoadedSet& set, int folds,
                           const eval::BootstrapConfig& boot, eval::Fusion fusion, int threads, bool quiet) {
  std::vector<std::string> names;
  eval::Predictions clean;
  for (int f = 0; f < folds; ++f) {
    auto rows = eval::read_predictions_csv(fold_dir(run_dir, 0, f) + "/predictions.csv", &names);
    clean.insert(clean.end(), rows.begin(), rows.end());
  }
  if (eval::is_multi_label(names)) return nullptr;
  const auto index_of = recording_index(set);
  const long todo = rows_without(run_dir, folds, "shifts.csv");
  util::Progress bar("shift bench", todo, quiet || todo == 0);
  std::map<std::string, eval::Predictions> by_shift;
  std::vector<std::string> failed;
  for (int f = 0; f < folds; ++f)
    for (auto& r : shift_fold(run_dir, f, set, index_of, threads, bar, failed)) {
      const auto bar_at = r.file.find('|');
      by_shift[r.file.substr(0, bar_at)].push_back(std::move(r));
    }
  bar.done();
  nlohmann::json out = {{"clean", scored(clean, names, boot, fusion)}, {"shifts", nlohmann::json::array()},
                        {"repeat", 0}, {"failed", failed}};
  const double clean_rec = value_of(out["clean"]["recording"]), clean_pat = value_of(out["clean"]["patient"]);
  for (const auto& s : audio::bench_shifts()) {
    auto it = by_shift.find(s.name());
    if (it == by_shift.end()) continue;  // e.g. no recording long enough for the clip
    nlohmann::json j = scored(it->second, names, boot, fusion);
    j["name"] = s.name();
    j["family"] = s.family;
    j["kind"] = s.kind;
    j["strength"] = s.strength;
    j["recording_drop"] = clean_rec - value_of(j["recording"]);  // NaN is written as null
    j["patient_drop"] = clean_pat - value_of(j["patient"]);
    out["shifts"].push_back(j);
  }
  return out;
}

}  // namespace murmur::experiment
