#include "train/plateau.h"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "util/check.h"
#include "util/error.h"

namespace murmur::train {

void PlateauConfig::validate(const std::string& section) const {
  auto key = [&](const char* field) { return util::setting_key(section, field); };
  util::check_setting(factor > 0 && factor < 1, key("factor"), "must be in (0, 1)", factor);
  util::check_setting(patience >= 0, key("patience"), "must be >= 0", patience);
  util::check_setting(!(threshold < 0), key("threshold"), "must be >= 0", threshold);
}

void to_json(nlohmann::json& j, const PlateauConfig& c) {
  j = {{"mode", c.mode_min ? "min" : "max"}, {"factor", c.factor}, {"patience", c.patience},
       {"threshold", c.threshold}, {"min_lr", c.min_lr}, {"eps", c.eps}};
}

void from_json(const nlohmann::json& j, PlateauConfig& c) {
  PlateauConfig d;
  c.mode_min = j.value("mode", std::string("min")) == "min";
  c.factor = j.value("factor", d.factor);
  c.patience = j.value("patience", d.patience);
  c.threshold = j.value("threshold", d.threshold);
  c.min_lr = j.value("min_lr", d.min_lr);
  c.eps = j.value("eps", d.eps);
  c.validate();
}

Plateau::Plateau(PlateauConfig cfg) : cfg_(cfg) {
  cfg_.validate();
  best_ = cfg_.mode_min ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
}

bool Plateau::better(double a) const {
  return cfg_.mode_min ? a < best_ * (1.0 - cfg_.threshold) : a > best_ * (1.0 + cfg_.threshold);
}

bool Plateau::step(double metric) {
  if (better(metric)) {
    best_ = metric;
    bad_epochs_ = 0;
    return false;
  }
  if (++bad_epochs_ > cfg_.patience) {
    bad_epochs_ = 0;
    return true;
  }
  return false;
}

double Plateau::scale(double lr) const {
  double reduced = std::max(lr * cfg_.factor, cfg_.min_lr);
  return lr - reduced > cfg_.eps ? reduced : lr;
}

}  // namespace murmur::train
