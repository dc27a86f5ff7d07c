#include "experiment/loso_run.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <random>
#include <set>

#include "eval/metrics.h"
#include "eval/report.h"
#include "experiment/merge.h"
#include "experiment/runs.h"
#include "model/init.h"
#include "train/distributed.h"
#include "util/csv.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/number_text.h"
#include "util/progress.h"
#include "util/version.h"

namespace murmur::experiment {

namespace fs = std::filesystem;

namespace {

// A source's name as a folder name: letters, digits, '.', '-' and '_' kept, anything else '_'.
std::string source_folder(const std::string& run_dir, const std::string& source) {
  std::string name = source;
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') c = '_';
  if (name.empty() || name[0] == '.') name = "_" + name;
  return run_dir + "/" + name;
}

double macc_at(const std::vector<float>& probs, const std::vector<int>& truth, const std::vector<size_t>& pick,
               float threshold) {
  double tp = 0, pos = 0, tn = 0, neg = 0;
  for (size_t i : pick) {
    const bool said = probs[i] >= threshold;
    if (truth[i]) pos += 1, tp += said;
    else neg += 1, tn += !said;
  }
  return pos > 0 && neg > 0 ? (tp / pos + tn / neg) / 2 : std::nan("");
}

// Trains on every source but `held_out`, tests on it; writes model.pth, done.json (rows kept).
double run_source(const CvOptions& o, const LoadedSet& set, const std::vector<data::Item>& items,
                  const std::string& held_out, int f, int n_sources, const std::string& dir,
                  const std::function<std::string()>& eta) {
  auto t0 = std::chrono::steady_clock::now();
  data::Split split;
  for (size_t i = 0; i < set.recordings.size(); ++i)
    (set.recordings[i].source == held_out ? split.test : split.train).push_back(int(i));
  data::carve_validation(items, split, o.val_fraction, o.seed + uint64_t(f));
  data::check_no_leak(items, split);
  keep_trainable(set, *o.preset, split);
  auto preset = o.preset->clone();
  preset->train.seed = o.seed + uint64_t(f) + 1000003ULL * o.train_seed;
  preset->train.init = model::init_for_source(preset->train.init, held_out);
  pipeline::Model m = seeded_model(std::move(preset), o.data.quiet);
  train::Batchable train_set = make_train_set(set, all_views(split.train), *m.preset);
  train::Batchable val = make_set(set, all_views(split.val), *m.preset);
  FitJob job{"cv " + m.preset->name() + " source " + std::to_string(f + 1) + "/" + std::to_string(n_sources) +
                 " (held out: " + held_out + ")",
             dir + "/train_state.pt", /*resume=*/true, o.data.quiet, {}, eta};
  train::FitResult fit = fit_model(m, train_set, val, job);
  choose_operating_points(m, set, split.val);
  const auto outputs = m.preset->output_names();
  nlohmann::json rows = nlohmann::json::array();
  for (int i : split.test) {
    const data::Recording& r = set.recordings[size_t(i)];
    auto p = m.recording_probs(set.stored[size_t(i)]).to(torch::kFloat).contiguous();
    rows.push_back({{"file", r.name}, {"patient", r.patient_id},
                    {"probs", std::vector<float>(p.data_ptr<float>(), p.data_ptr<float>() + p.numel())},
                    {"targets", label_targets(r, outputs)}});
  }
  std::set<std::string> sources_trained;
  for (int i : split.train) sources_trained.insert(set.recordings[size_t(i)].source);
  nlohmann::json provenance = {{"dataset_fingerprint", set.fingerprint}, {"data_dir", o.data.data_dir},
                               {"split", "source"}, {"held_out_source", held_out},
                               {"trained_on_sources", sources_trained}, {"seed", m.preset->train.seed},
                               {"threads", o.data.threads}, {"stop_reason", fit.stop_reason}};
  model::write_checkpoint(dir + "/model.pth", make_checkpoint(m, fit, provenance));
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  util::write_file_atomic(dir + "/done.json",
                          util::json_file_text({{"held_out_source", held_out},
                                                {"trained_on_sources", sources_trained},
                                                {"n_train_recordings", split.train.size()},
                                                {"n_val_recordings", split.val.size()},
                                                {"history", history_json(fit)},
                                                {"best_epoch", fit.best_epoch},
                                                {"best_val_acc", fit.best_val_acc},
                                                {"stop_reason", fit.stop_reason},
                                                {"thresholds", m.preset->thresholds()},
                                                {"seconds", secs},
                                                {"murmur_commit", util::git_commit()},
                                                {"dataset_fingerprint", set.fingerprint},
                                                {"rows", rows}},
                                               1, dir + "/done.json"));
  train::remove_training_state(dir + "/train_state.pt");
  return secs;
}

// One held-out source's scores from its done.json; rows go to `csv` (oof_predictions.csv).
nlohmann::json source_scores(const std::string& source, const nlohmann::json& done, const std::vector<std::string>& outputs,
                             const eval::BootstrapConfig& boot, std::string& csv) {
  const auto thresholds = done.at("thresholds").get<std::vector<float>>();
  std::set<std::string> patients;
  nlohmann::json per_output = nlohmann::json::object();
  for (size_t k = 0; k < outputs.size(); ++k) {
    std::vector<float> probs;
    std::vector<int> truth;
    std::vector<std::string> who;
    for (auto& row : done.at("rows")) {
      const float t = row.at("targets")[k].get<float>();
      if (t < 0) continue;
      probs.push_back(row.at("probs")[k].get<float>());
      truth.push_back(t > 0.5f);
      who.push_back(row.at("patient").get<std::string>());
    }
    if (probs.empty()) continue;
    per_output[outputs[k]] = binary_scores(probs, truth, who, thresholds[k], boot);
  }
  for (auto& row : done.at("rows")) {
    patients.insert(row.at("patient").get<std::string>());
    util::csv::Row fields{row.at("file").get<std::string>(), row.at("patient").get<std::string>(), source};
    for (auto& p : row.at("probs")) fields.push_back(util::float_text(p.get<float>(), "probability"));
    for (auto& t : row.at("targets")) fields.push_back(t.get<float>() < 0 ? "" : t.get<float>() > 0.5f ? "1" : "0");
    csv += util::csv::format_row(fields);
  }
  nlohmann::json s = {{"source", source}, {"n_recordings", done.at("rows").size()}, {"n_patients", patients.size()},
                      {"trained_on_sources", done.at("trained_on_sources")}, {"outputs", per_output},
                      {"seconds", done.at("seconds")}, {"best_epoch", done.at("best_epoch")}};
  if (per_output.contains("abnormal")) {
    s["label"] = "normal vs abnormal";
    s["macc"] = per_output["abnormal"]["macc"];
    s["macc_ci"] = per_output["abnormal"]["macc_ci"];
    s["auroc"] = per_output["abnormal"]["auroc"];
  }
  return s;
}

}  // namespace

nlohmann::json binary_scores(const std::vector<float>& probs, const std::vector<int>& truth,
                             const std::vector<std::string>& patients, float threshold,
                             const eval::BootstrapConfig& boot) {
  std::vector<bool> positive(truth.begin(), truth.end());
  std::vector<double> score(probs.begin(), probs.end());
  double tp = 0, pos = 0, tn = 0, neg = 0;
  for (size_t i = 0; i < probs.size(); ++i) {
    const bool said = probs[i] >= threshold;
    if (truth[i]) pos += 1, tp += said;
    else neg += 1, tn += !said;
  }
  auto number = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); };
  const double sens = pos > 0 ? tp / pos : std::nan(""), spec = neg > 0 ? tn / neg : std::nan("");
  nlohmann::json j = {{"n_positive", int(pos)}, {"n_negative", int(neg)}, {"threshold", threshold},
                      {"auroc", number(eval::roc_auc(positive, score))}, {"sensitivity", number(sens)},
                      {"specificity", number(spec)}, {"macc", number((sens + spec) / 2)},
                      {"macc_ci", {nullptr, nullptr}}};
  if (boot.n_resamples <= 0 || pos == 0 || neg == 0) return j;
  // Percentile interval over resampled patients (all of a patient's recordings together).
  std::map<std::string, std::vector<size_t>> by_patient;
  for (size_t i = 0; i < patients.size(); ++i) by_patient[patients[i]].push_back(i);
  std::vector<const std::vector<size_t>*> groups;
  for (auto& [p, rows] : by_patient) groups.push_back(&rows);
  std::mt19937_64 rng(boot.seed);
  std::uniform_int_distribution<size_t> draw(0, groups.size() - 1);
  std::vector<double> maccs;
  std::vector<size_t> pick;
  for (int b = 0; b < boot.n_resamples; ++b) {
    pick.clear();
    for (size_t g = 0; g < groups.size(); ++g) {
      auto& rows = *groups[draw(rng)];
      pick.insert(pick.end(), rows.begin(), rows.end());
    }
    const double m = macc_at(probs, truth, pick, threshold);
    if (std::isfinite(m)) maccs.push_back(m);
  }
  if (maccs.empty()) return j;
  std::sort(maccs.begin(), maccs.end());
  const double tail = (1 - boot.confidence) / 2;
  auto at = [&](double q) { return maccs[std::min(maccs.size() - 1, size_t(q * double(maccs.size() - 1) + 0.5))]; };
  j["macc_ci"] = {at(tail), at(1 - tail)};
  return j;
}

nlohmann::json loso_run(const CvOptions& o) {
  auto t0 = std::chrono::steady_clock::now();
  nlohmann::json config = {{"preset", o.preset->to_json()}, {"split", "source"}, {"seed", o.seed},
                           {"val_fraction", o.val_fraction}};
  if (o.train_seed > 0) config["train_seed"] = o.train_seed;
  if (!o.preset->multi_label())
    throw Error("cv --split source: preset " + o.preset->name() + " answers one of five classes, which only BMD-HS "
                "labels; leave-one-source-out needs a preset that learns every source's labels (--preset pooled)");
  claim_run_folder(o.run_dir, o.run_dir + "/config.json", config, "a run");
  LoadedSet set = load_dataset(o.data, *o.preset);
  const auto sources = set.sources();
  if (sources.size() < 2)
    throw Error("cv --split source: " + o.data.data_dir + " has recordings with preset " + o.preset->name() +
                "'s labels from one source only (" + sources.front() + "); leave-one-source-out needs two or more "
                "(a collection such as ../shared/data, and a preset that learns every source's labels: --preset pooled)");
  std::map<std::string, std::string> folders;  // folder -> source: two names must not share one
  for (auto& s : sources)
    if (auto [it, fresh] = folders.emplace(source_folder(o.run_dir, s), s); !fresh)
      throw Error("cv --split source: sources '" + it->second + "' and '" + s + "' would share the folder " + it->first +
                  "; rename one in the manifest");
  if (const std::string& init = o.preset->train.init; model::has_source_placeholder(init))
    for (auto& s : sources) model::require_init_file(model::init_for_source(init, s));  // every start, before training
  std::vector<std::string> units;  // for murmur status and merge (experiment/merge.h)
  for (auto& [folder, source] : folders) units.push_back(fs::path(folder).filename().generic_string());
  write_plan(o.run_dir, units);
  const auto items = set.items();
  const int total = int(sources.size());
  if (o.only_fold >= total)
    throw Error("cv --split source: --fold " + std::to_string(o.only_fold) + " is past the " + std::to_string(total) +
                " sources (0-" + std::to_string(total - 1) + ", sorted by name)");
  int finished = 0, ran = 0;
  double seconds_run = 0;
  for (int f = 0; f < total; ++f) {
    const std::string dir = source_folder(o.run_dir, sources[size_t(f)]);
    if (train::dist::rank0_says(fs::exists(dir + "/done.json"))) { ++finished; continue; }  // ranks: as rank 0 sees it
    if (o.only_fold >= 0 && f != o.only_fold) continue;
    fs::create_directories(dir);
    auto eta = [&]() -> std::string {
      return ran == 0 ? "" : "  run ETA " + util::Progress::format_seconds(seconds_run / ran * (total - finished - ran));
    };
    seconds_run += run_source(o, set, items, sources[size_t(f)], f, total, dir, eta);
    ++ran;
  }
  if (!train::dist::is_rank0()) return {{"status", "rank"}, {"rank", train::dist::rank()}};  // rank 0 reports
  // Folds that other processes finished meanwhile count too: of a cluster's jobs, the last to finish reports.
  if (const auto left = run_status(o.run_dir).missing; !left.empty())
    return {{"status", "partial"}, {"folds_done", total - int(left.size())}, {"folds_total", total}, {"run_dir", o.run_dir}};
  const auto outputs = o.preset->output_names();
  util::csv::Row header{"file", "patient", "source"};
  for (auto& k : outputs) header.push_back("p_" + k);
  for (auto& k : outputs) header.push_back("y_" + k);
  std::string csv = util::csv::format_row(header);
  nlohmann::json per_source = nlohmann::json::array();
  double train_seconds = 0;
  for (auto& source : sources) {
    auto done = read_json_file(source_folder(o.run_dir, source) + "/done.json");
    per_source.push_back(source_scores(source, done, outputs, o.bootstrap, csv));
    train_seconds += done.value("seconds", 0.0);
  }
  util::write_file_atomic(o.run_dir + "/oof_predictions.csv", csv);
  std::vector<double> maccs;
  for (auto& s : per_source)
    if (s.contains("macc") && s["macc"].is_number()) maccs.push_back(s["macc"].get<double>());
  nlohmann::json summary = {{"sources", sources.size()}, {"sources_scored", maccs.size()}};
  if (!maccs.empty()) {
    double sum = 0;
    for (double m : maccs) sum += m;
    summary["mean_macc"] = sum / double(maccs.size());
    summary["min_macc"] = *std::min_element(maccs.begin(), maccs.end());
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  nlohmann::json report = {
      {"schema", "murmur.loso/1"},
      {"title", "murmur leave-one-source-out: preset " + o.preset->name()},
      {"run", eval::run_section({{"config", config}, {"bootstrap", o.bootstrap}, {"data_dir", o.data.data_dir},
               {"data_fingerprint", set.fingerprint}, {"skipped", set.skipped}, {"excluded", set.excluded},
               {"anomalies", set.anomalies}, {"machine", machine_json(o.data.threads)}, {"wall_time_s", seconds},
               {"fold_training_time_s", train_seconds}, {"level", "recording"}})},
      {"summary", summary},
      {"sources", per_source}};
  util::write_file_atomic(o.run_dir + "/report.json", util::json_file_text(report, 1, o.run_dir + "/report.json"));
  util::write_file_atomic(o.run_dir + "/report.txt", loso_summary(report));
  util::write_file_atomic(o.run_dir + "/report.html", eval::render_loso_html(report));
  return report;
}

std::string loso_summary(const nlohmann::json& report) {
  auto num = [](const nlohmann::json& v, int digits = 3) {
    if (!v.is_number()) return std::string("-");
    char b[32];
    std::snprintf(b, sizeof b, "%.*f", digits, v.get<double>());
    return std::string(b);
  };
  std::string out = report.value("title", "") + "\n\n";
  char line[256];
  std::snprintf(line, sizeof line, "%-14s %6s %6s %7s %15s %6s %6s %6s %8s\n", "held out", "recs", "pos", "MAcc",
                "95% interval", "sens", "spec", "AUROC", "murmur");
  out += line;
  for (auto& s : report.at("sources")) {
    const auto& outs = s.at("outputs");
    const nlohmann::json a = outs.contains("abnormal") ? outs["abnormal"] : nlohmann::json::object();
    const nlohmann::json m = outs.contains("murmur") ? outs["murmur"] : nlohmann::json::object();
    const std::string ci = a.contains("macc_ci") && a["macc_ci"][0].is_number()
                               ? num(a["macc_ci"][0]) + "-" + num(a["macc_ci"][1]) : "-";
    std::snprintf(line, sizeof line, "%-14s %6d %6s %7s %15s %6s %6s %6s %8s\n", s.value("source", "").c_str(),
                  s.value("n_recordings", 0), a.contains("n_positive") ? std::to_string(a["n_positive"].get<int>()).c_str() : "-",
                  num(a.value("macc", nlohmann::json())).c_str(), ci.c_str(), num(a.value("sensitivity", nlohmann::json())).c_str(),
                  num(a.value("specificity", nlohmann::json())).c_str(), num(a.value("auroc", nlohmann::json())).c_str(),
                  num(m.value("macc", nlohmann::json())).c_str());
    out += line;
  }
  const auto& sum = report.at("summary");
  out += "\nMAcc: normal vs abnormal at the threshold chosen on the training sources' validation patients "
         "(PASCAL B: murmur vs normal); murmur: the murmur output's MAcc where the source labels murmurs.\n";
  out += "mean MAcc " + num(sum.value("mean_macc", nlohmann::json())) + ", lowest " +
         num(sum.value("min_macc", nlohmann::json())) + "\n";
  return out;
}

}  // namespace murmur::experiment
