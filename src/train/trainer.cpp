#include "train/trainer.h"

#include <chrono>
#include <nlohmann/json.hpp>

#include "util/error.h"

namespace murmur::train {

void TrainConfig::validate() const {
  auto fail = [](const std::string& field, double v, const std::string& why) {
    throw Error("Train: " + field + " " + std::to_string(v) + " " + why);
  };
  if (epochs < 1) fail("epochs", epochs, "must be at least 1");
  if (batch_size < 1) fail("batch_size", batch_size, "must be at least 1");
  if (!(lr > 0)) fail("lr", lr, "must be positive");
  if (weight_decay < 0) fail("weight_decay", weight_decay, "must not be negative");
  plateau.validate();
}

void to_json(nlohmann::json& j, const TrainConfig& c) {
  j = {{"epochs", c.epochs}, {"batch_size", c.batch_size}, {"lr", c.lr}, {"weight_decay", c.weight_decay},
       {"grad_clip_norm", c.grad_clip_norm}, {"class_weighted", c.class_weighted}, {"plateau", c.plateau},
       {"stop_at_val_acc", c.stop_at_val_acc}, {"collapse_after_epoch", c.collapse_after_epoch},
       {"patience_epochs", c.patience_epochs}, {"seed", c.seed}};
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
  c.validate();
}

void to_json(nlohmann::json& j, const EpochLog& e) {
  j = {{"epoch", e.epoch}, {"train_loss", e.train_loss}, {"train_acc", e.train_acc}, {"val_loss", e.val_loss},
       {"val_acc", e.val_acc}, {"lr", e.lr}, {"seconds", e.seconds}, {"best", e.best}};
}

torch::Tensor class_weights(const torch::Tensor& y, int n_classes) {
  auto counts = torch::bincount(y.to(torch::kLong), /*weights=*/{}, n_classes).to(torch::kFloat);
  auto w = float(y.size(0)) / (float(n_classes) * counts);
  return torch::where(counts > 0, w, torch::zeros_like(w));
}

torch::Tensor class_weights_soft(const torch::Tensor& targets) {
  auto counts = targets.sum(0).to(torch::kFloat);
  auto w = float(targets.size(0)) / (float(targets.size(1)) * counts);
  return torch::where(counts > 0, w, torch::zeros_like(w));
}

torch::Tensor soft_cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets, const torch::Tensor& weights) {
  auto wt = targets * weights.view({1, -1});
  return -(wt * torch::log_softmax(logits, 1)).sum() / wt.sum();
}

torch::Tensor random_hflip(const torch::Tensor& batch, double p) {
  auto flip = torch::rand({batch.size(0)}) < p;
  if (!flip.any().item<bool>()) return batch;
  auto out = batch.clone();
  auto idx = flip.nonzero().squeeze(1);
  out.index_put_({idx}, batch.index({idx}).flip({-1}));
  return out;
}

Evaluation evaluate(torch::nn::Module& model, const Forward& forward, const Batchable& data,
                    const torch::Tensor& weights, int batch_size) {
  torch::NoGradGuard no_grad;
  model.eval();
  Evaluation ev;
  std::vector<torch::Tensor> logits;
  double loss_sum = 0, weight_sum = 0;
  for (int64_t s = 0; s < data.size(); s += batch_size) {
    int64_t e = std::min<int64_t>(data.size(), s + batch_size);
    auto z = forward(data.x.slice(0, s, e));
    auto y = data.y.slice(0, s, e);
    // Weighted mean over the whole set, as a single CrossEntropyLoss(weight) call would give.
    auto per = torch::nn::functional::cross_entropy(
        z, y, torch::nn::functional::CrossEntropyFuncOptions().weight(weights).reduction(torch::kSum));
    loss_sum += per.item<double>();
    weight_sum += weights.index({y}).sum().item<double>();
    logits.push_back(z);
  }
  ev.logits = data.size() ? torch::cat(logits) : torch::empty({0});
  ev.loss = weight_sum > 0 ? loss_sum / weight_sum : 0;
  ev.acc = data.size() ? ev.logits.argmax(1).eq(data.y).to(torch::kFloat).mean().item<double>() : 0;
  return ev;
}

namespace {

// A deep copy of parameters and buffers, to keep the best epoch's weights in memory.
std::vector<torch::Tensor> snapshot(torch::nn::Module& model) {
  std::vector<torch::Tensor> s;
  for (auto& p : model.parameters()) s.push_back(p.detach().clone());
  for (auto& b : model.buffers()) s.push_back(b.detach().clone());
  return s;
}

void restore(torch::nn::Module& model, const std::vector<torch::Tensor>& s) {
  torch::NoGradGuard no_grad;
  size_t i = 0;
  for (auto& p : model.parameters()) p.copy_(s[i++]);
  for (auto& b : model.buffers()) b.copy_(s[i++]);
}

void set_lr(torch::optim::AdamW& opt, double lr) {
  for (auto& group : opt.param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
}

}  // namespace

FitResult fit(torch::nn::Module& model, const Forward& forward, const Batchable& train, const Batchable& val,
              int n_classes, const TrainConfig& cfg, const Augment& augment, const OnEpoch& on_epoch) {
  cfg.validate();
  if (train.size() == 0) throw Error("Train: the training set is empty");
  if (val.size() == 0) throw Error("Train: the validation set is empty (it drives the schedule and model choice)");
  torch::manual_seed(cfg.seed);
  const bool soft = train.soft.defined();
  auto weights = !cfg.class_weighted ? torch::ones({n_classes})
                 : soft              ? class_weights_soft(train.soft)
                                     : class_weights(train.y, n_classes);
  auto loss_options = torch::nn::functional::CrossEntropyFuncOptions().weight(weights);
  torch::optim::AdamW opt(model.parameters(), torch::optim::AdamWOptions(cfg.lr).weight_decay(cfg.weight_decay));
  Plateau plateau(cfg.plateau);
  double lr = cfg.lr;
  FitResult result;
  std::vector<torch::Tensor> best;
  int since_best = 0;
  for (int epoch = 1; epoch <= cfg.epochs; ++epoch) {
    auto t0 = std::chrono::steady_clock::now();
    model.train();
    auto order = torch::randperm(train.size(), torch::kLong);
    double loss_sum = 0;
    int64_t correct = 0;
    for (int64_t s = 0; s < train.size(); s += cfg.batch_size) {
      auto idx = order.slice(0, s, std::min<int64_t>(train.size(), s + cfg.batch_size));
      auto x = train.x.index({idx});
      auto y = train.y.index({idx});
      if (augment) x = augment(x);
      opt.zero_grad();
      auto z = forward(x);
      auto loss = soft ? soft_cross_entropy(z, train.soft.index({idx}), weights)
                       : torch::nn::functional::cross_entropy(z, y, loss_options);
      loss.backward();
      if (cfg.grad_clip_norm > 0) torch::nn::utils::clip_grad_norm_(model.parameters(), cfg.grad_clip_norm);
      opt.step();
      loss_sum += loss.item<double>() * double(idx.size(0));
      correct += z.argmax(1).eq(y).sum().item<int64_t>();  // examples with y = -1 never count
    }
    EpochLog log;
    log.epoch = epoch;
    log.lr = lr;
    log.train_loss = loss_sum / double(train.size());
    log.train_acc = double(correct) / std::max(1.0, train.y.ge(0).sum().item<double>());
    Evaluation ev = evaluate(model, forward, val, weights, std::max(cfg.batch_size, 64));
    log.val_loss = ev.loss;
    log.val_acc = ev.acc;
    if (plateau.step(ev.loss)) {
      lr = plateau.scale(lr);
      set_lr(opt, lr);
    }
    if (log.val_acc > result.best_val_acc) {
      result.best_val_acc = log.val_acc;
      result.best_epoch = epoch;
      best = snapshot(model);
      log.best = true;
      since_best = 0;
    } else {
      ++since_best;
    }
    log.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    result.history.push_back(log);
    if (on_epoch) on_epoch(log);
    if (log.val_acc >= cfg.stop_at_val_acc) { result.stop_reason = "target accuracy"; break; }
    if (cfg.collapse_after_epoch > 0 && epoch > cfg.collapse_after_epoch &&
        std::get<0>(at::_unique(ev.logits.argmax(1))).numel() == 1) {
      result.stop_reason = "collapsed to one class";
      break;
    }
    if (cfg.patience_epochs > 0 && since_best >= cfg.patience_epochs) { result.stop_reason = "patience"; break; }
  }
  if (result.stop_reason.empty()) result.stop_reason = "epochs";
  restore(model, best);
  model.eval();
  return result;
}

}  // namespace murmur::train
