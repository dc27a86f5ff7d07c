// `murmur predict` in the launcher: native-family models (presets native, valves, pooled) run here
// on oneDNN (infer/native_predictor.h), with --explain and --pictures too, and so do seed models
// (the reference's checkpoint, murmur's seed models; infer/seed_predictor.h), recordings and
// pictures, so the process never loads LibTorch; any other model, --set, or --explain of a seed
// model hands the same arguments to murmur-torch (cli/predict.cpp). Both print the same report
// (cli/predict_common.h). In the environment, MURMUR_LIBTORCH=1 sends every prediction to
// murmur-torch, MURMUR_LIBTORCH=0 none (what would need it is an error).
#include "cli/inputs.h"
#include "cli/model_commands.h"
#include "cli/predict_common.h"
#include "infer/native_predictor.h"
#include "infer/seed_predictor.h"
#include "infer/stored_model.h"
#include "util/error.h"

namespace murmur::cli {
namespace {

// Several files: one per core, each on one oneDNN thread; one file: every core for it.
int workers_for(size_t files) {
  const int workers = files > 1 ? global().threads : 1;
  infer::set_engine_threads(workers > 1 ? 1 : global().threads);
  return workers;
}

template <class P>
std::function<std::vector<float>(const std::vector<std::vector<double>>&)> patient_fuser(const P& predictor) {
  return [&predictor](const std::vector<std::vector<double>>& probs) {
    std::vector<std::vector<float>> f;
    for (const auto& p : probs) f.emplace_back(p.begin(), p.end());
    return predictor.fuse_patient(f);
  };
}

// A seed model: recordings and the reference's pictures, no explanations (LibTorch's path says why).
void run_seed(const PredictArgs& args, const std::vector<std::string>& files, const infer::SeedPredictor& predictor) {
  const int workers = workers_for(files.size());
  const PredictOutcome got = answer_each(files, workers, [&](size_t i) {
    if (workers > 1) infer::set_engine_threads(1);  // this worker's own
    const auto p = predictor.predict_file(files[i]);
    return std::vector<double>(p.begin(), p.end());
  });
  const PredictModel model{args.model, "seed", predictor.n_models(), predictor.patient_fusion(),
                           predictor.class_names(), {}, patient_fuser(predictor)};
  finish_predict(predict_report(model, files, got.answers, got.failed), predictor.class_names());
}

void run(const PredictArgs& args) {
  if (libtorch_wanted()) hand_to_model_binary("MURMUR_LIBTORCH=1");
  if (!args.pictures_dir.empty() && !args.explain) throw Error("--pictures: draws explanations; add --explain");
  if (!args.eval_overrides.empty()) hand_to_model_binary("--set runs in LibTorch");
  const std::vector<std::string> files = recording_files(args.files);
  std::string why_not;
  auto predictor = infer::NativePredictor::open(args.model, &why_not);
  if (!predictor) {
    std::string why_not_seed = "not read (--explain of a seed model runs in LibTorch)";
    auto seed = args.explain ? std::nullopt : infer::SeedPredictor::open(args.model, &why_not_seed);
    if (seed) return run_seed(args, files, *seed);
    // LibTorch's path runs it, or says what is wrong with it; both readers' reasons name the file.
    hand_to_model_binary("as a native-family model: " + why_not + "; as a seed model: " + why_not_seed);
  }
  for (const auto& f : files)
    if (infer::is_picture_file(f)) hand_to_model_binary(f + ": pictures are the seed preset's input");

  const int workers = workers_for(files.size());
  std::vector<pipeline::Explanation> why(files.size());
  const PredictOutcome got = answer_each(files, workers, [&](size_t i) {
    if (workers > 1) infer::set_engine_threads(1);  // this worker's own
    if (!args.explain) {
      const auto p = predictor->predict_file(files[i]);
      return std::vector<double>(p.begin(), p.end());
    }
    const auto a = audio::load(files[i], predictor->audio_config());
    why[i] = predictor->explain(a, nullptr, args.explain_config, files[i]);
    if (!args.pictures_dir.empty())
      pipeline::write_explanation_picture(args.pictures_dir + "/" + stem_of(files[i]) + ".svg", a, why[i],
                                          stem_of(files[i]));
    return pipeline::probabilities(why[i]);
  });
  const PredictModel model{args.model,          predictor->preset_name(),   predictor->n_models(),
                           predictor->patient_fusion(), predictor->class_names(), predictor->thresholds(),
                           patient_fuser(*predictor)};
  const PredictExtras extras = args.explain ? explanation_extras(why, files, predictor->class_names()) : PredictExtras{};
  finish_predict(predict_report(model, files, got.answers, got.failed, extras), predictor->class_names());
}

void setup(CLI::App& app) {
  auto args = std::make_shared<PredictArgs>();
  add_predict_command(app, *args)->callback([args] { run(*args); });
}

Registrar registrar("predict", setup);

}  // namespace
}  // namespace murmur::cli
