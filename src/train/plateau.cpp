#include "train/plateau.h"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "util/error.h"

namespace murmur::train {

void PlateauConfig::validate() const {
  if (!(factor > 0 && factor < 1)) throw Error("Plateau: factor " + std::to_string(factor) + " must be in (0, 1)");
  if (patience < 0) throw Error("Plateau: patience " + std::to_string(patience) + " must not be negative");
  if (threshold < 0) throw Error("Plateau: threshold " + std::to_string(threshold) + " must not be negative");
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
