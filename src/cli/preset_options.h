// The options every training subcommand shares (train, cv): which preset, its overrides, the
// data set and the feature cache.
//
//   auto args = std::make_shared<PresetOptions>();
//   add_preset_options(cmd, *args);
//   pipeline::PresetPtr p = args->preset_config();     // named preset + --set + --epochs + --init
//   experiment::DataOptions d = args->data_options();  // --data, --cache, global --quiet/--threads
#pragma once

#include <string>
#include <vector>

#include "cli/command.h"
#include "experiment/dataset.h"
#include "model/init.h"
#include "pipeline/registry.h"

namespace murmur::cli {

struct PresetOptions {
  std::string preset = "native";
  std::vector<std::string> overrides;
  std::string data, cache, init;
  int epochs = 0;

  pipeline::PresetPtr preset_config() const {
    auto p = pipeline::with_overrides(*pipeline::make_preset(preset), overrides)->clone();
    if (epochs > 0) p->train.epochs = epochs;
    if (!init.empty()) p->train.init = init;
    // Before any data is read: a missing file is the same error seeded_model gives, minutes sooner
    // ({source}: cv --split source checks each source's file before it trains).
    if (!p->train.init.empty() && !model::has_source_placeholder(p->train.init)) model::require_init_file(p->train.init);
    return p;
  }
  experiment::DataOptions data_options() const { return {data, cache, global().quiet, global().threads}; }
};

inline void add_preset_options(CLI::App* cmd, PresetOptions& o) {
  cmd->add_option("--preset", o.preset, "Pipeline preset (" + pipeline::preset_list() + ")")
      ->check(CLI::IsMember(pipeline::preset_names()))->capture_default_str();
  cmd->add_option("--data", o.data, "Data set folder (BMD-HS layout or CLASS_PID_POS_SITE.wav files)")->required();
  cmd->add_option("--epochs", o.epochs, "Override the preset's maximum epochs (0 = preset default)");
  cmd->add_option("--set", o.overrides,
                  "Override a preset setting: section.field=value (repeatable), e.g. native.time_reverse=false");
  cmd->add_option("--init", o.init,
                  "Start training from this murmur or PyTorch checkpoint: every tensor whose name and shape match "
                  "(the same as --set train.init=PATH; what was taken is listed)");
  cmd->add_option("--cache", o.cache, "Feature cache folder (default ~/.cache/murmur)");
}

}  // namespace murmur::cli
