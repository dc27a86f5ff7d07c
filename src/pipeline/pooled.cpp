#include "pipeline/pooled.h"

#include "util/check.h"

namespace murmur::pipeline {

void PooledConfig::validate(const std::string& s) const {
  util::check_setting(source_balance >= 0 && source_balance <= 1, util::setting_key(s, "source_balance"),
                      "must be in [0, 1]", source_balance);
}

PooledPreset::PooledPreset() {
  net.n_classes = int(output_names().size());
  valves.thresholds.assign(output_names().size(), 0.5f);
  // About four times BMD-HS's examples per epoch: fewer epochs, the same patience in examples.
  train.epochs = 20;
  train.patience_epochs = 6;
}

std::vector<std::string> PooledPreset::output_names() const {
  return {"AR", "AS", "MR", "MS", "abnormal", "murmur"};
}

nlohmann::json PooledPreset::own_json() const {
  auto j = ValvesPreset::own_json();
  j["pooled"] = {{"source_balance", pooled.source_balance}, {"balance_labels", pooled.balance_labels}};
  return j;
}

void PooledPreset::own_from_json(const nlohmann::json& j) {
  ValvesPreset::own_from_json(j);
  if (j.contains("pooled")) {
    pooled.source_balance = j["pooled"].value("source_balance", pooled.source_balance);
    pooled.balance_labels = j["pooled"].value("balance_labels", pooled.balance_labels);
  }
}

void PooledPreset::validate_own() const {
  ValvesPreset::validate_own();
  pooled.validate();
}

}  // namespace murmur::pipeline
