// murmur pretrain: a preset's encoder (the native trunk or EfficientAT's) learnt without labels
// from every recording of a data set or collection (experiment/pretrain_run.h); then
// `train --init` or `cv --init` fine-tunes from it. --init here is where pretraining starts.
#include <iostream>

#include "cli/command.h"
#include "cli/model_commands.h"
#include "cli/preset_options.h"
#include "experiment/pretrain_run.h"
#include "util/json.h"

namespace murmur::cli {
namespace {

// A preset that fine-tunes what `pretrained` learnt (its family's valve preset).
std::string fine_tune_preset(const std::string& pretrained) {
  return pretrained.rfind("efficientat", 0) == 0 ? "efficientat-valves" : "valves";
}

struct PretrainArgs : PresetOptions {
  std::string out = "pretrained";
  train::PretrainConfig cfg;
  std::vector<std::string> exclude_sources;
  bool resume = false;
};

void setup(CLI::App& app) {
  auto args = std::make_shared<PretrainArgs>();
  args->preset = "pooled";  // takes every labelled recording of every source; the labels are not used
  auto* cmd = app.add_subcommand("pretrain", model_command_about("pretrain"));
  add_preset_options(cmd, *args);
  cmd->add_option("--batch", args->cfg.batch_size, "Recordings per step (two views each; the rest are negatives)")
      ->capture_default_str();
  cmd->add_option("--lr", args->cfg.lr, "AdamW learning rate (cosine decay)")->capture_default_str();
  cmd->add_option("--temperature", args->cfg.temperature, "NT-Xent temperature")->capture_default_str();
  cmd->add_option("--seed", args->cfg.seed, "Random seed (initialisation, batches, views)")->capture_default_str();
  cmd->add_option("-o,--output", args->out, "Output folder (model.pth: the encoder and projection.*)")
      ->capture_default_str();
  cmd->add_option("--exclude-source", args->exclude_sources,
                  "Leave this source's recordings out (repeatable; names as `murmur index` gives them), e.g. the "
                  "source a leave-one-source-out fold tests on: cv --split source --init 'DIR-{source}/model.pth'");
  cmd->add_flag("--resume", args->resume, "Continue from the output folder's model.pth (its epochs done)");
  cmd->callback([args] {
    experiment::PretrainRunOptions o;
    PresetOptions preset = *args;
    preset.epochs = 0;  // --epochs are pretraining's, not the preset's training recipe
    o.preset = preset.preset_config();
    o.data = args->data_options();
    o.out_dir = args->out;
    o.pretrain = args->cfg;
    o.pretrain.epochs = args->epochs > 0 ? args->epochs : args->cfg.epochs;
    o.exclude_sources = args->exclude_sources;
    o.resume = args->resume;
    const auto summary = experiment::pretrain_run(o);
    if (global().json) {
      std::cout << util::json_text(summary, 1) << "\n";
      return;
    }
    const auto& last = summary["history"].back();
    std::cout << "pretrained encoder: " << args->out << "/model.pth  (" << summary["recordings"].get<int64_t>()
              << " recordings, " << last["epoch"].get<int>() << " epochs, loss " << last["loss"].get<double>()
              << ")\nfine-tune it: murmur train --preset " << fine_tune_preset(summary["preset"].get<std::string>())
              << " --init " << args->out << "/model.pth --data DIR\n";
  });
}

Registrar registrar("pretrain", setup);

}  // namespace
}  // namespace murmur::cli
