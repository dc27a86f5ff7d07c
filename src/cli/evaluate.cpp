// murmur evaluate --model M --data DIR: a trained model on the split it was not trained on.
#include <iostream>

#include "cli/command.h"
#include "cli/model_commands.h"
#include "eval/report.h"
#include "experiment/train_run.h"
#include "util/json.h"

namespace murmur::cli {
namespace {

struct EvaluateArgs {
  std::string model, data, split, cache;
  std::vector<std::string> eval_overrides;
};

void setup(CLI::App& app) {
  auto args = std::make_shared<EvaluateArgs>();
  auto* cmd = app.add_subcommand("evaluate", model_command_about("evaluate"));
  cmd->add_option("-m,--model", args->model, "model.pth (murmur's, or the reference's: then every recording)")->required();
  cmd->add_option("--data", args->data, "Data set folder")->required();
  cmd->add_option("--split", args->split, "Override: patient, recording (the checkpoint's seed) or all")
      ->check(CLI::IsMember({"patient", "recording", "all"}));
  cmd->add_option("--cache", args->cache, "Feature cache folder (default ~/.cache/murmur)");
  cmd->add_option("--set", args->eval_overrides, kEvalSetHelp);
  cmd->callback([args] {
    auto out = experiment::evaluate_run(args->model, {args->data, args->cache, global().quiet, global().threads}, args->split,
                                       args->eval_overrides);
    if (global().json) {
      std::cout << util::json_text(out, 1) << "\n";
      return;
    }
    for (auto& w : out["warnings"]) std::cerr << "murmur: warning: " << w.get<std::string>() << "\n";
    std::cout << "model " << args->model << " (preset " << out["preset"].get<std::string>() << "), split "
              << out["split"].get<std::string>() << " (seed " << out["seed"] << "), test side\n\n"
              << eval::format_summary(out["metrics"]);
  });
}

Registrar registrar("evaluate", setup);

}  // namespace
}  // namespace murmur::cli
