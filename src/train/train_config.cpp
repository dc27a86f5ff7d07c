// TrainConfig and EpochLog: their rules and their JSON (trainer.h).
#include <nlohmann/json.hpp>

#include "train/trainer.h"
#include "util/check.h"

namespace murmur::train {

void TrainConfig::validate(const std::string& section) const {
  auto key = [&](const char* field) { return util::setting_key(section, field); };
  util::check_setting(epochs >= 1, key("epochs"), "must be at least 1", epochs);
  util::check_setting(batch_size >= 1, key("batch_size"), "must be at least 1", batch_size);
  util::check_setting(lr > 0, key("lr"), "must be > 0", lr);
  util::check_setting(!(weight_decay < 0), key("weight_decay"), "must be >= 0", weight_decay);
  plateau.validate(key("plateau"));
  util::check_setting(freeze_epochs >= 0, key("freeze_epochs"), "must be >= 0", freeze_epochs);
  util::check_setting(freeze_epochs == 0 || !freeze_prefix.empty(), key("freeze_prefix"),
                      "must name the parameters to freeze when freeze_epochs > 0", freeze_prefix);
  util::check_setting(unfreeze_lr_scale > 0, key("unfreeze_lr_scale"), "must be > 0", unfreeze_lr_scale);
}

void to_json(nlohmann::json& j, const TrainConfig& c) {
  j = {{"epochs", c.epochs}, {"batch_size", c.batch_size}, {"lr", c.lr}, {"weight_decay", c.weight_decay},
       {"grad_clip_norm", c.grad_clip_norm}, {"class_weighted", c.class_weighted}, {"plateau", c.plateau},
       {"stop_at_val_acc", c.stop_at_val_acc}, {"collapse_after_epoch", c.collapse_after_epoch},
       {"patience_epochs", c.patience_epochs}, {"seed", c.seed}};
  // Written only when set: the recipes of earlier runs (and their saved training states) stay equal.
  if (!c.init.empty()) j["init"] = c.init;
  if (!c.freeze_prefix.empty())
    j.update({{"freeze_prefix", c.freeze_prefix}, {"freeze_epochs", c.freeze_epochs},
              {"unfreeze_lr_scale", c.unfreeze_lr_scale}});
}

void from_json(const nlohmann::json& j, TrainConfig& c) {
  TrainConfig d;
  c.epochs = j.value("epochs", d.epochs);
  c.batch_size = j.value("batch_size", d.batch_size);
  c.lr = j.value("lr", d.lr);
  c.weight_decay = j.value("weight_decay", d.weight_decay);
  c.grad_clip_norm = j.value("grad_clip_norm", d.grad_clip_norm);
  c.class_weighted = j.value("class_weighted", d.class_weighted);
  if (j.contains("plateau")) c.plateau = j.at("plateau").get<PlateauConfig>();
  c.stop_at_val_acc = j.value("stop_at_val_acc", d.stop_at_val_acc);
  c.collapse_after_epoch = j.value("collapse_after_epoch", d.collapse_after_epoch);
  c.patience_epochs = j.value("patience_epochs", d.patience_epochs);
  c.seed = j.value("seed", d.seed);
  c.init = j.value("init", d.init);
  c.freeze_prefix = j.value("freeze_prefix", d.freeze_prefix);
  c.freeze_epochs = j.value("freeze_epochs", d.freeze_epochs);
  c.unfreeze_lr_scale = j.value("unfreeze_lr_scale", d.unfreeze_lr_scale);
  c.validate();
}

void to_json(nlohmann::json& j, const EpochLog& e) {
  j = {{"epoch", e.epoch}, {"train_loss", e.train_loss}, {"train_acc", e.train_acc}, {"val_loss", e.val_loss},
       {"val_acc", e.val_acc}, {"lr", e.lr}, {"seconds", e.seconds}, {"best", e.best}};
}

void from_json(const nlohmann::json& j, EpochLog& e) {
  e.epoch = j.at("epoch").get<int>();
  e.train_loss = j.at("train_loss").get<double>();
  e.train_acc = j.at("train_acc").get<double>();
  e.val_loss = j.at("val_loss").get<double>();
  e.val_acc = j.at("val_acc").get<double>();
  e.lr = j.at("lr").get<double>();
  e.seconds = j.at("seconds").get<double>();
  e.best = j.at("best").get<bool>();
}

}  // namespace murmur::train
