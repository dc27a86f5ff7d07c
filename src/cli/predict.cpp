// murmur predict --model M FILE_OR_DIR...: class probabilities for recordings (and their patients),
// one recording per core. --explain adds why (pipeline/explain.h): the phase of the cardiac cycle
// and the frequency band the answer relied on, per recording and per patient.
#include <algorithm>

#include "cli/inputs.h"
#include "cli/predict_common.h"
#include "data/index.h"
#include "pipeline/explain.h"
#include "pipeline/predictor.h"
#include "util/error.h"

namespace murmur::cli {
namespace {

// A patient's answer explained by the recording most sure of each of its classes ("findings",
// or the class), with that recording's site: "AS: systolic, 100-200 Hz, strongest at Aor (...)".
nlohmann::json patient_explanation(const nlohmann::json& answer, const std::vector<size_t>& members,
                                   const std::vector<std::string>& files, const std::vector<pipeline::Explanation>& why,
                                   const std::vector<std::string>& names) {
  std::vector<std::string> classes;
  if (answer.contains("findings")) classes = answer["findings"].get<std::vector<std::string>>();
  else classes.push_back(answer["class"].get<std::string>());
  nlohmann::json out = {{"classes", nlohmann::json::array()}, {"sentence", ""}};
  std::string said;
  for (const auto& cls : classes) {
    const size_t k = size_t(std::find(names.begin(), names.end(), cls) - names.begin());
    if (k >= names.size()) continue;
    std::vector<const pipeline::Explanation*> of;
    for (size_t i : members) of.push_back(&why[i]);
    const size_t best = members[pipeline::most_sure(of, k)];
    const auto n = data::parse_recording_name(stem_of(files[best]));
    const std::string site = n ? n->site : "";
    auto c = pipeline::to_json(why[best].all[k]);
    c["strongest_at"] = site;
    c["recording"] = files[best];
    c["sentence"] = pipeline::sentence(why[best].all[k], site);
    said += (said.empty() ? "" : "; ") + c["sentence"].get<std::string>();
    out["classes"].push_back(c);
  }
  out["sentence"] = said.empty() ? "no valve disease found: nothing to explain" : said;
  return out;
}

void setup(CLI::App& app) {
  auto args = std::make_shared<PredictArgs>();
  auto* cmd = add_predict_command(app, *args);
  cmd->callback([args] {
    if (!args->pictures_dir.empty() && !args->explain) throw Error("--pictures: draws explanations; add --explain");
    const std::vector<std::string> files = recording_files(args->files);
    auto predictor = pipeline::Predictor::open(args->model, args->eval_overrides);
    if (args->explain && !predictor.preset().occludable())
      throw Error("--explain: " + args->model + " is a " + predictor.preset().name() +
                  " model, whose features have no time and frequency axes of their own to mask "
                  "(presets native and valves can be explained)");
    const auto& names = predictor.class_names();
    // Several files: one file per core, each on one LibTorch thread (a recording is too small a
    // job to split across cores). Answers and skips are reported in input order.
    std::vector<pipeline::Explanation> why(files.size());
    const int workers = files.size() > 1 ? global().threads : 1;
    const int torch_threads = torch::get_num_threads();
    if (workers > 1) torch::set_num_threads(1);
    const PredictOutcome got = answer_each(files, workers, [&](size_t i) -> std::vector<double> {
      if (!args->explain) {
        const torch::Tensor p = predictor.predict_file(files[i]).to(torch::kDouble).contiguous();
        return {p.data_ptr<double>(), p.data_ptr<double>() + p.numel()};
      }
      const auto a = audio::load(files[i], predictor.preset().audio);
      why[i] = pipeline::explain(predictor, a, {}, files[i]);
      if (!args->pictures_dir.empty())
        pipeline::write_explanation_picture(args->pictures_dir + "/" + stem_of(files[i]) + ".svg", a, why[i],
                                            stem_of(files[i]));
      return pipeline::probabilities(why[i]);
    });
    torch::set_num_threads(torch_threads);
    PredictModel model{args->model, predictor.preset().name(), predictor.n_models(), predictor.preset().patient_fusion(),
                       names, predictor.thresholds(), [&](const std::vector<std::vector<double>>& probs) {
                         std::vector<torch::Tensor> t;
                         for (const auto& p : probs) t.push_back(torch::tensor(p, torch::kDouble));
                         return predictor.fuse_patient(t);
                       }};
    PredictExtras extras;
    if (args->explain) {
      extras.recording = [&](size_t i) { return pipeline::to_json(why[i]); };
      extras.patient = [&](const nlohmann::json& r, const std::vector<size_t>& members) {
        return patient_explanation(r, members, files, why, names);
      };
    }
    finish_predict(predict_report(model, files, got.answers, got.failed, extras), names);
  });
}

Registrar registrar("predict", setup);

}  // namespace
}  // namespace murmur::cli
