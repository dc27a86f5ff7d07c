// murmur train: one model on a data set (default: the native preset, patient-grouped split).
#include <iostream>

#include "cli/command.h"
#include "eval/report.h"
#include "train/experiment.h"

namespace murmur::cli {
namespace {

struct TrainArgs {
  std::string preset = "native";
  std::vector<std::string> overrides;
  std::string data, out = "model", split = "patient", cache;
  uint64_t seed = 0;
  int epochs = 0;
};

void setup(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  auto* cmd = app.add_subcommand("train", "Train one model (writes OUT/model.pth, class_names.json, metrics.json)");
  cmd->add_option("--preset", args->preset, "native (murmur's pipeline) or seed (the reference's)")
      ->check(CLI::IsMember({"native", "seed"}))->capture_default_str();
  cmd->add_option("--data", args->data, "Data set folder (BMD-HS layout or CLASS_PID_POS_SITE.wav files)")->required();
  cmd->add_option("--split", args->split, "patient (honest, 60/20/20 by patient) or recording (the reference's; leaks patients)")
      ->check(CLI::IsMember({"patient", "recording"}))->capture_default_str();
  cmd->add_option("--seed", args->seed, "Random seed (split, initialisation, batches)")->capture_default_str();
  cmd->add_option("--epochs", args->epochs, "Override the preset's maximum epochs (0 = preset default)");
  cmd->add_option("--set", args->overrides, "Override a preset setting: section.field=value (repeatable), e.g. native.time_reverse=false");
  cmd->add_option("--cache", args->cache, "Feature cache folder (default ~/.cache/murmur)");
  cmd->add_option("-o,--output", args->out, "Output folder")->capture_default_str();
  cmd->callback([args] {
    train::TrainRunOptions o;
    o.preset = model::Preset::named(args->preset);
    o.preset = model::with_overrides(o.preset, args->overrides);
    if (args->epochs > 0) o.preset.train.epochs = args->epochs;
    o.data = {args->data, args->cache, global().quiet, global().threads};
    o.out_dir = args->out;
    o.split = args->split;
    o.seed = args->seed;
    auto summary = train::train_run(o);
    if (global().json) {
      std::cout << summary.dump(1) << "\n";
      return;
    }
    std::cout << "model: " << args->out << "/model.pth  (preset " << args->preset << ", split " << args->split
              << ", best epoch " << summary["best_epoch"] << ", stop: " << summary["stop_reason"].get<std::string>()
              << ")\n"
              << "validation accuracy " << summary["best_val_acc"].get<double>() * 100 << "%\n"
              << "test accuracy per image/view " << summary["test_view_accuracy"].get<double>() * 100 << "% ("
              << summary["test_view_count"] << " views)\n\n"
              << eval::format_summary(summary["test"]);
  });
}

Registrar registrar("train", setup);

}  // namespace
}  // namespace murmur::cli
