#include "experiment/cv_explain.h"

#include <filesystem>
#include <map>
#include <set>

#include "eval/predictions.h"
#include "experiment/runs.h"
#include "pipeline/explain.h"
#include "pipeline/predictor.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/progress.h"

namespace murmur::experiment {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> split_plus(const std::string& s) {
  std::vector<std::string> out;
  size_t a = 0;
  while (a <= s.size()) {
    size_t b = s.find('+', a);
    if (b == std::string::npos) b = s.size();
    if (b > a) out.push_back(s.substr(a, b - a));
    a = b + 1;
  }
  return out;
}

// The true labels named as an answer's "class" would name them (answer_json's rule: the valve
// diseases joined, else pooled's other findings, else "N"), so the two compare.
std::string truth_of(const eval::Prediction& row, const std::vector<std::string>& names) {
  if (row.true_class >= 0) return names.at(size_t(row.true_class));
  std::vector<double> said(names.size(), 0.0);
  for (int k : row.true_labels) said.at(size_t(k)) = 1.0;
  return pipeline::answer_json(names, said, std::vector<float>(names.size(), 0.5f))["class"];
}

// One fold's test patients explained by the fold's model; written to DIR/explanations.json.
nlohmann::json explain_fold(const std::string& run_dir, int fold, const LoadedSet& set,
                            const std::map<std::string, size_t>& index_of, util::Progress& bar) {
  const std::string dir = fold_dir(run_dir, 0, fold), path = dir + "/explanations.json";
  if (fs::exists(path)) return read_json_file(path);
  const auto rows = eval::read_predictions_csv(dir + "/predictions.csv");
  const auto predictor = pipeline::Predictor::open(dir + "/model.pth");
  const auto& names = predictor.class_names();
  const auto thresholds = predictor.thresholds();
  nlohmann::json out = {{"fold", fold}, {"patients", nlohmann::json::array()}, {"not_explained", nlohmann::json::array()}};
  std::map<std::string, std::vector<size_t>> by_patient;  // patient -> explained rows
  std::vector<pipeline::Explanation> why(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    bar.tick();
    auto at = index_of.find(rows[i].file);
    if (at == index_of.end()) {
      out["not_explained"].push_back(rows[i].file + ": not in the data set any more");
      continue;
    }
    const auto& rec = set.recordings[at->second];
    try {
      why[i] = pipeline::explain_stored(predictor, audio::load(rec.path, predictor.preset().audio),
                                        set.stored[at->second], {}, rec.path);
      by_patient[rows[i].patient].push_back(i);
    } catch (const Error& e) {
      out["not_explained"].push_back(e.what());
    }
  }
  for (const auto& [patient, members] : by_patient) {
    std::vector<torch::Tensor> probs;
    std::vector<const pipeline::Explanation*> of;
    for (size_t i : members) {
      probs.push_back(torch::tensor(pipeline::probabilities(why[i]), torch::kDouble));
      of.push_back(&why[i]);
    }
    const auto fused = predictor.fuse_patient(probs);
    const std::string answer =
        pipeline::answer_json(names, std::vector<double>(fused.begin(), fused.end()), thresholds)["class"];
    const std::string truth = truth_of(rows[members.front()], names);
    std::vector<std::string> classes = split_plus(answer);
    for (const auto& c : split_plus(truth))
      if (std::find(classes.begin(), classes.end(), c) == classes.end()) classes.push_back(c);
    nlohmann::json p = {{"patient", patient}, {"true", truth}, {"answer", answer}, {"classes", nlohmann::json::object()}};
    std::vector<size_t> drawn;  // class indices for the picture
    for (const auto& cls : classes) {
      const size_t k = size_t(std::find(names.begin(), names.end(), cls) - names.begin());
      if (k >= names.size()) continue;  // "N" of a multi-label run: nothing to mask for
      const size_t best = members[pipeline::most_sure(of, k)];
      auto c = pipeline::to_json(why[best].all[k]);
      c["recording"] = rows[best].file;
      c["strongest_at"] = rows[best].site;
      c["sentence"] = pipeline::sentence(why[best].all[k], rows[best].site);
      p["classes"][cls] = c;
      drawn.push_back(k);
    }
    if (answer != truth && !drawn.empty()) {
      // The recording most sure of the (first) answered class, with every class named drawn.
      const size_t best = members[pipeline::most_sure(of, drawn.front())];
      const auto& rec = set.recordings[index_of.at(rows[best].file)];
      const std::string picture = "explanations/" + patient + ".svg";
      pipeline::write_explanation_picture(run_dir + "/" + picture, audio::load(rec.path, predictor.preset().audio),
                                          why[best], patient + ": " + truth + ", answered " + answer + " (" +
                                          rows[best].file + ")", drawn);
      p["picture"] = picture;
    }
    out["patients"].push_back(p);
  }
  util::write_file_atomic(path, util::json_text(out, 1));
  return out;
}

}  // namespace

nlohmann::json explain_cv_run(const std::string& run_dir, const LoadedSet& set, int folds, bool quiet) {
  {
    const auto probe = pipeline::Predictor::open(fold_dir(run_dir, 0, 0) + "/model.pth");
    if (!probe.preset().occludable()) return nullptr;
  }
  const auto index_of = recording_index(set);
  const long n_rows = rows_without(run_dir, folds, "explanations.json");
  util::Progress bar("explain", n_rows, quiet || n_rows == 0);
  std::vector<nlohmann::json> patients;
  nlohmann::json not_explained = nlohmann::json::array();
  for (int f = 0; f < folds; ++f) {
    auto j = explain_fold(run_dir, f, set, index_of, bar);
    for (auto& p : j["patients"]) {
      p["fold"] = f;
      patients.push_back(p);
    }
    for (auto& n : j["not_explained"]) not_explained.push_back(n);
  }
  bar.done();
  // Does it listen where a cardiologist would? Per disease, the patients who have it and were
  // told so: the phase of the explanation of that disease.
  nlohmann::json listens = nlohmann::json::array();
  for (const std::string cls : {"AS", "MR", "AR", "MS"}) {
    const std::string want = pipeline::expected_phase(cls);
    std::map<std::string, int> phases{{"systolic", 0}, {"diastolic", 0}, {"both", 0}, {"unclear", 0}};
    int n = 0;
    for (const auto& p : patients) {
      const auto truth = split_plus(p["true"]), answer = split_plus(p["answer"]);
      const bool has = std::find(truth.begin(), truth.end(), cls) != truth.end();
      const bool told = std::find(answer.begin(), answer.end(), cls) != answer.end();
      if (!has || !told || !p["classes"].contains(cls)) continue;
      ++n;
      ++phases[p["classes"][cls]["phase"].get<std::string>()];
    }
    listens.push_back({{"class", cls}, {"expected", want}, {"patients", n}, {"systolic", phases["systolic"]},
                       {"diastolic", phases["diastolic"]}, {"both", phases["both"]}, {"unclear", phases["unclear"]},
                       {"share_expected", n > 0 ? nlohmann::json(double(phases[want]) / n) : nlohmann::json()}});
  }
  nlohmann::json wrong = nlohmann::json::array();
  for (const auto& p : patients) {
    if (p["true"] == p["answer"]) continue;
    nlohmann::json w = {{"patient", p["patient"]}, {"fold", p["fold"]}, {"true", p["true"]}, {"answer", p["answer"]}};
    std::string answered, heard;
    for (const auto& c : split_plus(p["answer"]))
      if (p["classes"].contains(c)) answered += (answered.empty() ? "" : "; ") + p["classes"][c]["sentence"].get<std::string>();
    for (const auto& c : split_plus(p["true"]))
      if (p["classes"].contains(c)) heard += (heard.empty() ? "" : "; ") + p["classes"][c]["sentence"].get<std::string>();
    w["answer_explained"] = answered;
    w["true_explained"] = heard;
    if (p.contains("picture")) w["picture"] = p["picture"];
    wrong.push_back(w);
  }
  const pipeline::ExplainConfig cfg;
  return {{"method", "occlusion (pipeline/explain.h): the probability again with the systolic frames masked, then "
                     "the diastolic ones, then each band; a patient's explanation of a class is its recording most "
                     "sure of that class"},
          {"repeat", 0},
          {"segmenter", cfg.segmenter},  // where systole and diastole are
          {"phase_ratio", cfg.phase_ratio},
          {"min_drop", cfg.min_drop},
          {"patients_explained", patients.size()},
          {"listens", listens},
          {"misclassified", wrong},
          {"not_explained", not_explained}};
}

}  // namespace murmur::experiment
