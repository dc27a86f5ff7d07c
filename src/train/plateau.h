// ReduceLROnPlateau, as PyTorch's torch.optim.lr_scheduler.ReduceLROnPlateau (LibTorch 1.13 has
// none): when the monitored metric stops improving for `patience` epochs, multiply the learning
// rate by `factor`.
//
//   murmur::train::Plateau plateau(PlateauConfig{});        // mode min, factor 0.5, patience 3
//   double lr = 1e-3;
//   for (...) { ...; if (plateau.step(val_loss)) lr = plateau.scale(lr); }
//
// Same rules as PyTorch's defaults: improvement means metric < best * (1 - 1e-4) in mode min
// (threshold_mode 'rel'), cooldown 0, min_lr 0, reductions smaller than 1e-8 are skipped.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

namespace murmur::train {

struct PlateauConfig {
  bool mode_min = true;       // false: mode max (e.g. monitoring accuracy)
  double factor = 0.5;
  int patience = 3;           // epochs without improvement tolerated before a reduction
  double threshold = 1e-4;    // relative improvement that counts
  double min_lr = 0.0;
  double eps = 1e-8;          // reductions smaller than this are ignored
  void validate(const std::string& section = "train.plateau") const;  // "train.plateau.field: rule (got v)"
};

void to_json(nlohmann::json& j, const PlateauConfig& c);
void from_json(const nlohmann::json& j, PlateauConfig& c);

class Plateau {
 public:
  explicit Plateau(PlateauConfig cfg = {});
  // Records one epoch's metric; returns true when the learning rate should be reduced now.
  bool step(double metric);
  // The reduced learning rate (applies factor and min_lr; unchanged if below eps).
  double scale(double lr) const;
  int bad_epochs() const { return bad_epochs_; }
  double best() const { return best_; }
  // Puts back the state read by best() and bad_epochs() (resuming an interrupted run).
  void restore(double best, int bad_epochs) {
    best_ = best;
    bad_epochs_ = bad_epochs;
  }

 private:
  bool better(double a) const;
  PlateauConfig cfg_;
  double best_;
  int bad_epochs_ = 0;
};

}  // namespace murmur::train
