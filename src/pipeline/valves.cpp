#include "pipeline/valves.h"

#include "data/recording.h"
#include "util/check.h"

namespace murmur::pipeline {

namespace {
const std::vector<std::string> kValves{"AR", "AS", "MR", "MS"};  // data::kClassNames without N
}

void ValvesDecisionConfig::validate(const std::string& s, const std::vector<std::string>& outputs) const {
  std::string names;
  for (auto& o : outputs) names += (names.empty() ? "" : ", ") + o;
  util::check_setting(thresholds.size() == outputs.size(), util::setting_key(s, "thresholds"),
                      "must hold one threshold per output (" + names + ")", thresholds.size());
  for (float t : thresholds)
    util::check_setting(t > 0 && t < 1, util::setting_key(s, "thresholds"), "must be in (0, 1)", t);
}

ValvesPreset::ValvesPreset() { net.n_classes = int(kValves.size()); }

nlohmann::json ValvesPreset::feature_json() const {
  auto j = NativePreset::feature_json();
  j["preset"] = NativePreset().name();
  return j;
}

std::vector<std::string> ValvesPreset::output_names() const { return kValves; }

void ValvesPreset::set_thresholds(const std::vector<float>& t) {
  ValvesDecisionConfig d{t, "validation patients"};
  d.validate("valves", output_names());
  valves = d;
}

torch::Tensor ValvesPreset::from_windows(const torch::Tensor& logits) const { return torch::sigmoid(logits).mean(1); }

nlohmann::json ValvesPreset::own_json() const {
  auto j = NativePreset::own_json();
  j["multi_label"] = true;  // said in every checkpoint and run config: outputs are independent
  j["valves"] = {{"thresholds", valves.thresholds}, {"thresholds_from", valves.thresholds_from}};
  return j;
}

void ValvesPreset::own_from_json(const nlohmann::json& j) {
  NativePreset::own_from_json(j);
  if (j.contains("valves")) {
    valves.thresholds = j["valves"].value("thresholds", valves.thresholds);
    valves.thresholds_from = j["valves"].value("thresholds_from", valves.thresholds_from);
  }
}

void ValvesPreset::validate_own() const {
  NativePreset::validate_own();
  const auto outputs = output_names();
  util::check_setting(net.n_classes == int(outputs.size()), "net.n_classes",
                      "must be " + std::to_string(outputs.size()) + " for the " + name() + " preset", net.n_classes);
  valves.validate("valves", outputs);
}

}  // namespace murmur::pipeline
