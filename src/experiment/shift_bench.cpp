#include "experiment/shift_bench.h"

#include <cmath>
#include <filesystem>
#include <map>

#include "audio/quality.h"
#include "audio/shift.h"
#include "eval/calibration.h"
#include "eval/predictions.h"
#include "experiment/runs.h"
#include "pipeline/predictor.h"
#include "util/csv.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/pool.h"
#include "util/progress.h"

namespace murmur::experiment {

namespace fs = std::filesystem;

namespace {

// The clips the signal-quality check (audio/quality.h) turns down, as "SHIFT|RECORDING#CLIP" (or
// the clean recording's name) -> its status: murmur gives them the answer "unusable recording".
using Unusable = std::map<std::string, std::string>;

// One fold's test recordings under every shift, and which clips are unusable: written to
// DIR/shifts.csv and DIR/shifts_quality.csv (the unusable clips only). A fold whose shifts.csv
// predates the quality check gets only the check (no model).
eval::Predictions shift_fold(const std::string& run_dir, int fold, const LoadedSet& set,
                             const std::map<std::string, size_t>& index_of, int threads, util::Progress& bar,
                             std::vector<std::string>& failed, Unusable& unusable) {
  const std::string dir = fold_dir(run_dir, 0, fold), path = dir + "/shifts.csv";
  const std::string quality_path = dir + "/shifts_quality.csv";
  const bool have_scores = fs::exists(path), have_quality = fs::exists(quality_path);
  if (have_quality)
    for (const auto& row : util::csv::parse(util::read_file(quality_path), quality_path).rows) unusable[row[0]] = row[1];
  if (have_scores && have_quality) return eval::read_predictions_csv(path);
  const auto rows = eval::read_predictions_csv(dir + "/predictions.csv");
  const auto predictor = pipeline::Predictor::open(dir + "/model.pth");
  const auto shifts = audio::bench_shifts();
  const audio::StreamConfig quality;  // the thresholds stream and serve use
  std::vector<eval::Predictions> out(rows.size());
  std::vector<Unusable> bad(rows.size());
  std::vector<std::string> problems(rows.size());
  const int torch_threads = torch::get_num_threads();
  if (threads > 1) torch::set_num_threads(1);  // one recording per core, as predict does
  util::parallel_for(rows.size(), threads, [&](size_t i) {
    bar.tick();
    auto at = index_of.find(rows[i].file);
    if (at == index_of.end()) return;
    try {
      const auto a = audio::load(set.recordings[at->second].path, predictor.preset().audio);
      auto check = [&](const audio::Audio& x, const std::string& key) {
        const auto q = audio::assess_quality(x.samples, x.sample_rate_hz, quality);
        if (!q.ok()) bad[i][key] = q.status;
      };
      check(a, rows[i].file);
      const uint64_t seed = std::hash<std::string>{}(rows[i].file);
      for (const auto& s : shifts) {
        const auto clips = audio::apply_shift(a, s, seed);
        for (size_t k = 0; k < clips.size(); ++k) {
          eval::Prediction r = rows[i];
          r.file = s.name() + "|" + rows[i].file + "#" + std::to_string(k);
          check(clips[k], r.file);
          if (have_scores) continue;
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
  std::string quality_csv = util::csv::format_row({"file", "status"});
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!problems[i].empty()) failed.push_back(problems[i]);
    all.insert(all.end(), out[i].begin(), out[i].end());
    for (const auto& [key, status] : bad[i]) {
      quality_csv += util::csv::format_row({key, status});
      unusable[key] = status;
    }
  }
  if (have_scores) all = eval::read_predictions_csv(path);
  else eval::write_predictions_csv(path, all, predictor.class_names());
  util::write_file_atomic(quality_path, quality_csv);
  return all;
}

nlohmann::json scored(const eval::Predictions& rows, const std::vector<std::string>& names,
                      const eval::BootstrapConfig& boot, eval::Fusion fusion, const Unusable& unusable) {
  const auto m = eval::evaluate(rows, names, boot, fusion);
  const auto c = eval::calibration_json(rows, names, fusion);
  nlohmann::json sure;  // answering only at a top probability of 0.6 or more
  for (const auto& s : c["recording"]["selective"])
    if (s["min_confidence"].get<double>() == 0.6) sure = s;
  nlohmann::json out = {{"n_rows", rows.size()},
                        {"recording", m["recording"]["balanced_accuracy"]},
                        {"patient", m["patient"]["balanced_accuracy"]},
                        {"ece_recording", c["recording"]["ece"]},
                        {"answered_at_0.6", sure}};
  // The answer "unusable recording" for the clips the quality check turns down; the others scored.
  eval::Predictions usable;
  std::map<std::string, int> why;
  for (const auto& r : rows) {
    auto it = unusable.find(r.file);
    if (it == unusable.end()) usable.push_back(r);
    else ++why[it->second];
  }
  out["unusable"] = {{"fraction", rows.empty() ? 0.0 : 1.0 - double(usable.size()) / double(rows.size())},
                     {"by_status", why}};
  if (usable.empty()) out["usable_recording"] = nullptr;  // every row declined: nothing to score
  else if (usable.size() == rows.size()) out["usable_recording"] = out["recording"];
  else out["usable_recording"] = eval::evaluate(usable, names, {0, boot.seed, boot.confidence}, fusion)["recording"]["balanced_accuracy"];
  return out;
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
  Unusable unusable;
  for (int f = 0; f < folds; ++f)
    for (auto& r : shift_fold(run_dir, f, set, index_of, threads, bar, failed, unusable)) {
      const auto bar_at = r.file.find('|');
      by_shift[r.file.substr(0, bar_at)].push_back(std::move(r));
    }
  bar.done();
  nlohmann::json out = {{"clean", scored(clean, names, boot, fusion, unusable)}, {"shifts", nlohmann::json::array()},
                        {"repeat", 0}, {"failed", failed}};
  const double clean_rec = value_of(out["clean"]["recording"]), clean_pat = value_of(out["clean"]["patient"]);
  for (const auto& s : audio::bench_shifts()) {
    auto it = by_shift.find(s.name());
    if (it == by_shift.end()) continue;  // e.g. no recording long enough for the clip
    nlohmann::json j = scored(it->second, names, boot, fusion, unusable);
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
