#include "model/native_net_config.h"

#include <nlohmann/json.hpp>

#include "util/check.h"

namespace murmur::model {

void NativeNetConfig::validate(const std::string& section) const {
  auto key = [&](const char* field) { return util::setting_key(section, field); };
  util::check_setting(width >= 1, key("width"), "must be at least 1", width);
  // Upper bounds so that a typo cannot allocate gigabytes (width 256 is already ~15M parameters).
  util::check_setting(width <= 256, key("width"), "must be at most 256", width);
  util::check_setting(!(dropout < 0 || dropout >= 1), key("dropout"), "must be in [0, 1)", dropout);
  util::check_setting(n_classes >= 2, key("n_classes"), "must be at least 2", n_classes);
  util::check_setting(n_classes <= 1000, key("n_classes"), "must be at most 1000", n_classes);
  util::check_setting(in_channels == 1 || in_channels == 3, key("in_channels"), "must be 1 or 3", in_channels);
  util::check_setting(cycle_states == 0 || cycle_states == 4, key("cycle_states"), "must be 0 or 4", cycle_states);
}

void to_json(nlohmann::json& j, const NativeNetConfig& c) {
  j = {{"width", c.width}, {"dropout", c.dropout}, {"n_classes", c.n_classes}};
}

void from_json(const nlohmann::json& j, NativeNetConfig& c) {
  NativeNetConfig d;
  c.width = j.value("width", d.width);
  c.dropout = j.value("dropout", d.dropout);
  c.n_classes = j.value("n_classes", d.n_classes);
  c.validate();
}

}  // namespace murmur::model
