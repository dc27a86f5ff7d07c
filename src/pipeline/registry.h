// Presets by name: the one place that knows which presets exist.
//
//   PresetPtr p = make_preset("native");                       // defaults
//   PresetPtr q = with_overrides(*p, {"native.window_s=3"});   // --set, validated
//   PresetPtr r = preset_from_json(checkpoint.murmur_config);  // what a model was trained with
//   register_preset("toy", [] { return std::make_unique<ToyPreset>(); });   // e.g. in a test
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/preset.h"

namespace murmur::pipeline {

using PresetFactory = std::function<std::unique_ptr<Preset>()>;

// Adds (or replaces) a preset; built-in presets are registered in registry.cpp.
void register_preset(const std::string& name, PresetFactory make);
std::vector<std::string> preset_names();  // sorted
std::string preset_list();                // "native, seed": for messages and help texts

// A preset's defaults; murmur::Error naming the known presets for an unknown name.
std::unique_ptr<Preset> make_preset(const std::string& name);
// {"name": ..., sections...}: the named preset with the sections given replacing its defaults.
PresetPtr preset_from_json(const nlohmann::json& j);
// The preset the reference's own checkpoint (which stores no config) was made with.
PresetPtr reference_preset();

// "section.field=value" overrides (value parsed as JSON, else taken as a string), e.g.
// "native.time_reverse=false", "train.epochs=20", "log_mel.n_mels=48"; validated.
PresetPtr with_overrides(const Preset& p, const std::vector<std::string>& overrides);

}  // namespace murmur::pipeline
