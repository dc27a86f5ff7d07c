// murmur train: one model on a data set (default: the native preset, patient-grouped split), or
// with --split all the model to ship: an ensemble in one file that has learnt from every patient.
#include <iostream>

#include "cli/command.h"
#include "cli/model_commands.h"
#include "cli/preset_options.h"
#include "cli/ranks.h"
#include "eval/report.h"
#include "experiment/train_run.h"
#include "util/json.h"

namespace murmur::cli {
namespace {

struct TrainArgs : PresetOptions {
  std::string out = "model", split = "patient";
  uint64_t seed = 0;
  int members = 5, seeds = 1;
  bool resume = false;
};

void setup(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  auto* cmd = app.add_subcommand("train", model_command_about("train"));
  add_preset_options(cmd, *args);
  cmd->add_option("--split", args->split,
                  "patient (honest, 60/20/20 by patient), recording (the reference's; leaks patients) or all (the "
                  "model to ship: --members models in one file, each trained on all patients but the 1/members "
                  "that set its schedule; no test figures: a cv run of the same preset is its estimate)")
      ->check(CLI::IsMember({"patient", "recording", "all"}))->capture_default_str();
  cmd->add_option("--members", args->members, "With --split all: validation groups, one model each")
      ->capture_default_str();
  cmd->add_option("--seeds", args->seeds,
                  "With --split all: training seeds per member (--members x --seeds models in the file)")
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "Random seed (split, initialisation, batches)")->capture_default_str();
  cmd->add_option("-o,--output", args->out, "Output folder")->capture_default_str();
  cmd->add_flag("--resume", args->resume,
                "Continue an interrupted run in the output folder from its last finished epoch (same result as "
                "an uninterrupted run)");
  cmd->callback([args] {
    experiment::TrainRunOptions o;
    o.preset = args->preset_config();
    o.data = args->data_options();
    o.out_dir = args->out;
    o.split = args->split;
    o.seed = args->seed;
    o.resume = args->resume;
    o.members = args->members;
    o.seeds = args->seeds;
    RankScope ranks(o.out_dir, o.data);  // several ranks: rank 0 writes and prints
    auto summary = experiment::train_run(o);
    if (!ranks.prints()) return;
    if (global().json) {
      std::cout << util::json_text(summary, 1) << "\n";
      return;
    }
    if (args->split == "all") {
      std::cout << "model: " << args->out << "/model.pth  (preset " << args->preset << ", "
                << args->members * args->seeds << " members trained on every patient)\n";
      for (const auto& m : summary["members"])
        std::cout << "  member " << m["member"] << ": best epoch " << m["best_epoch"] << ", validation accuracy "
                  << m["best_val_acc"].get<double>() * 100 << "% on " << m["n_val_recordings"] << " recordings\n";
      std::cout << summary["note"].get<std::string>() << "\n";
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
