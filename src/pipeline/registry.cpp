#include "pipeline/registry.h"

#include <map>
#include <mutex>

#include "pipeline/efficientat.h"
#include "pipeline/native.h"
#include "pipeline/pooled.h"
#include "pipeline/seed.h"
#include "pipeline/valves.h"
#include "util/error.h"

namespace murmur::pipeline {

namespace {

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}

std::map<std::string, PresetFactory>& registry() {
  static std::map<std::string, PresetFactory> presets{
      {"efficientat", [] { return std::make_unique<EfficientAtClassesPreset>(); }},
      {"efficientat-pooled", [] { return std::make_unique<EfficientAtPooledPreset>(); }},
      {"efficientat-valves", [] { return std::make_unique<EfficientAtValvesPreset>(); }},
      {"native", [] { return std::make_unique<NativePreset>(); }},
      {"pooled", [] { return std::make_unique<PooledPreset>(); }},
      {"seed", [] { return std::make_unique<SeedPreset>(); }},
      {"valves", [] { return std::make_unique<ValvesPreset>(); }},
  };
  return presets;
}

}  // namespace

void register_preset(const std::string& name, PresetFactory make) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  registry()[name] = std::move(make);
}

std::vector<std::string> preset_names() {
  std::lock_guard<std::mutex> lock(registry_mutex());
  std::vector<std::string> names;
  for (auto& [name, make] : registry()) names.push_back(name);
  return names;
}

std::string preset_list() {
  std::string list;
  for (auto& n : preset_names()) list += (list.empty() ? "" : ", ") + n;
  return list;
}

std::unique_ptr<Preset> make_preset(const std::string& name) {
  PresetFactory make;
  {
    std::lock_guard<std::mutex> lock(registry_mutex());
    auto it = registry().find(name);
    if (it != registry().end()) make = it->second;
  }
  if (!make) throw Error("preset '" + name + "' is unknown (known: " + preset_list() + ")");
  return make();
}

PresetPtr preset_from_json(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("name") || !j["name"].is_string())
    throw Error("preset config: expected an object with a \"name\"");
  auto p = make_preset(j["name"].get<std::string>());
  try {
    p->from_json(j);
  } catch (const nlohmann::json::exception& e) {
    throw Error("preset " + p->name() + ": " + e.what());
  }
  return p;
}

PresetPtr reference_preset() { return make_preset("seed"); }

PresetPtr with_overrides(const Preset& p, const std::vector<std::string>& overrides) {
  nlohmann::json j = p.to_json();
  auto settable = [&](const std::string& section, const std::string& field) {
    if (j.contains(section) && j[section].is_object() && j[section].contains(field)) return true;
    if (section != "train") return false;
    train::TrainConfig every = p.train;  // with the settings written only when set: init, freezing
    every.init = every.freeze_prefix = "set";
    return nlohmann::json(every).contains(field);
  };
  for (const auto& o : overrides) {
    auto eq = o.find('=');
    auto dot = o.find('.');
    if (eq == std::string::npos || dot == std::string::npos || dot > eq)
      throw Error("--set '" + o + "': expected section.field=value (e.g. native.time_reverse=false)");
    std::string section = o.substr(0, dot), field = o.substr(dot + 1, eq - dot - 1), text = o.substr(eq + 1);
    if (!settable(section, field))
      throw Error("--set '" + o + "': preset " + p.name() + " has no setting " + section + "." + field);
    nlohmann::json value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    j[section][field] = value.is_discarded() ? nlohmann::json(text) : value;
  }
  try {
    return preset_from_json(j);
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("--set: ") + e.what());
  }
}

}  // namespace murmur::pipeline
