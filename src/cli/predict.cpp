// murmur predict --model M FILE_OR_DIR...: class probabilities for recordings (and their patients),
// one recording per core. --explain adds why (pipeline/explain.h): the phase of the cardiac cycle
// and the frequency band the answer relied on, per recording and per patient.
#include "cli/inputs.h"
#include "cli/predict_common.h"
#include "pipeline/explain.h"
#include "pipeline/predictor.h"
#include "util/error.h"

namespace murmur::cli {
namespace {

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
      if (!args->explain) return pipeline::probabilities(predictor.predict_file(files[i]));
      const auto a = audio::load(files[i], predictor.preset().audio);
      why[i] = pipeline::explain(predictor, a, args->explain_config, files[i]);
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
    const PredictExtras extras = args->explain ? explanation_extras(why, files, names) : PredictExtras{};
    finish_predict(predict_report(model, files, got.answers, got.failed, extras), names);
  });
}

Registrar registrar("predict", setup);

}  // namespace
}  // namespace murmur::cli
