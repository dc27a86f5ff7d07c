// The options every training subcommand shares (train, cv): which preset, its overrides, the
// data set and the feature cache.
//
//   auto args = std::make_shared<PresetOptions>();
//   add_preset_options(cmd, *args);
//   model::Preset p = args->preset_config();     // named preset + --set + --epochs
//   train::DataOptions d = args->data_options(); // --data, --cache, global --quiet/--threads
#pragma once

#include <string>
#include <vector>

#include "cli/command.h"
#include "model/preset.h"
#include "train/experiment.h"

namespace murmur::cli {

struct PresetOptions {
  std::string preset = "native";
  std::vector<std::string> overrides;
  std::string data, cache;
  int epochs = 0;

  model::Preset preset_config() const {
    model::Preset p = model::with_overrides(model::Preset::named(preset), overrides);
    if (epochs > 0) p.train.epochs = epochs;
    return p;
  }
  train::DataOptions data_options() const { return {data, cache, global().quiet, global().threads}; }
};

inline void add_preset_options(CLI::App* cmd, PresetOptions& o) {
  cmd->add_option("--preset", o.preset, "native (murmur's pipeline) or seed (the reference's)")
      ->check(CLI::IsMember({"native", "seed"}))->capture_default_str();
  cmd->add_option("--data", o.data, "Data set folder (BMD-HS layout or CLASS_PID_POS_SITE.wav files)")->required();
  cmd->add_option("--epochs", o.epochs, "Override the preset's maximum epochs (0 = preset default)");
  cmd->add_option("--set", o.overrides,
                  "Override a preset setting: section.field=value (repeatable), e.g. native.time_reverse=false");
  cmd->add_option("--cache", o.cache, "Feature cache folder (default ~/.cache/murmur)");
}

}  // namespace murmur::cli
