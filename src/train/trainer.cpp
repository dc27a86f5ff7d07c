#include "train/trainer.h"

#include <ATen/CPUGeneratorImpl.h>

#include <chrono>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>

#include "train/data_parallel.h"
#include "train/distributed.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"

namespace murmur::train {

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

torch::Tensor positive_weights(const torch::Tensor& targets) {
  auto pos = targets.gt(0.5).sum(0).to(torch::kFloat);
  auto neg = (targets.ge(0) & targets.le(0.5)).sum(0).to(torch::kFloat);  // unknown (< 0) is neither
  return torch::where(pos > 0, neg / pos.clamp_min(1), torch::ones_like(pos));
}

torch::Tensor multilabel_loss(const torch::Tensor& logits, const torch::Tensor& targets, const torch::Tensor& pos_weight,
                              torch::Tensor* n_known) {
  namespace F = torch::nn::functional;
  auto known = targets.ge(0);
  auto options = F::BinaryCrossEntropyWithLogitsFuncOptions().pos_weight(pos_weight);
  const bool sum = n_known != nullptr;
  if (known.all().item<bool>()) {  // every label known: the plain loss, bit for bit
    if (sum) *n_known = torch::tensor(double(targets.numel()));
    return F::binary_cross_entropy_with_logits(logits, targets, sum ? options.reduction(torch::kSum) : options);
  }
  auto per = F::binary_cross_entropy_with_logits(logits, targets.clamp_min(0), options.reduction(torch::kNone));
  auto total = (per * known).sum();
  auto count = known.sum().to(torch::kDouble);
  if (sum) {
    *n_known = count;
    return total;
  }
  return total / count.clamp_min(1).to(total.scalar_type());
}

double macro_balanced_accuracy(const torch::Tensor& logits, const torch::Tensor& targets) {
  auto pred = logits.gt(0), truth = targets.gt(0.5), known = targets.ge(0);
  double sum = 0;
  int n = 0;
  for (int64_t k = 0; k < targets.size(1); ++k) {
    auto t = truth.select(1, k), p = pred.select(1, k), in = known.select(1, k);
    const double pos = t.sum().item<double>(), neg = in.sum().item<double>() - pos;
    double recall_sum = 0;
    int parts = 0;
    if (pos > 0) recall_sum += (p & t).sum().item<double>() / pos, ++parts;
    if (neg > 0) recall_sum += (~p & ~t & in).sum().item<double>() / neg, ++parts;
    if (parts == 2) sum += recall_sum / 2, ++n;
  }
  return n ? sum / n : 0;
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
    logits.push_back(z);
    if (data.multi_label) {
      torch::Tensor n_known;
      loss_sum += multilabel_loss(z, data.soft.slice(0, s, e), weights, &n_known).item<double>();
      weight_sum += n_known.item<double>();
      continue;
    }
    auto y = data.y.slice(0, s, e);
    // Weighted mean over the whole set, as a single CrossEntropyLoss(weight) call would give.
    auto per = torch::nn::functional::cross_entropy(
        z, y, torch::nn::functional::CrossEntropyFuncOptions().weight(weights).reduction(torch::kSum));
    loss_sum += per.item<double>();
    weight_sum += weights.index({y}).sum().item<double>();
  }
  ev.logits = data.size() ? torch::cat(logits) : torch::empty({0});
  ev.loss = weight_sum > 0 ? loss_sum / weight_sum : 0;
  if (data.multi_label)
    ev.acc = data.size() ? macro_balanced_accuracy(ev.logits, data.soft) : 0;
  else
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

// Group 0 learns at lr; group 1, when there is one (freeze_prefix's parameters), at lr * scale.
void set_lr(torch::optim::AdamW& opt, double lr, const TrainConfig& cfg) {
  auto& groups = opt.param_groups();
  for (size_t g = 0; g < groups.size(); ++g)
    static_cast<torch::optim::AdamWOptions&>(groups[g].options()).lr(g == 0 ? lr : lr * cfg.unfreeze_lr_scale);
}

// The parameters named freeze_prefix... (none when it is empty); murmur::Error if it names none.
std::vector<torch::Tensor> prefixed_parameters(torch::nn::Module& model, const TrainConfig& cfg) {
  std::vector<torch::Tensor> out;
  if (cfg.freeze_prefix.empty()) return out;
  for (const auto& item : model.named_parameters())
    if (item.key().rfind(cfg.freeze_prefix, 0) == 0) out.push_back(item.value());
  if (out.empty()) throw Error("train.freeze_prefix: no parameter of the model is named '" + cfg.freeze_prefix + "...'");
  return out;
}

// AdamW over every parameter: one group, or two when freeze_prefix splits them (see set_lr).
torch::optim::AdamW make_optimizer(torch::nn::Module& model, const std::vector<torch::Tensor>& prefixed,
                                   const TrainConfig& cfg) {
  const auto options = torch::optim::AdamWOptions(cfg.lr).weight_decay(cfg.weight_decay);
  if (prefixed.empty()) return torch::optim::AdamW(model.parameters(), options);
  std::vector<torch::Tensor> rest;
  for (auto& p : model.parameters())
    if (std::none_of(prefixed.begin(), prefixed.end(), [&](const torch::Tensor& q) { return q.is_same(p); }))
      rest.push_back(p);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(rest, std::make_unique<torch::optim::AdamWOptions>(options));
  groups.emplace_back(prefixed, std::make_unique<torch::optim::AdamWOptions>(options));
  torch::optim::AdamW opt(std::move(groups), options);
  set_lr(opt, cfg.lr, cfg);
  return opt;
}

// What must match for a saved state to be continued: the recipe (except the epoch budget) and
// the data's shape.
nlohmann::json state_key(const TrainConfig& cfg, const Batchable& train, const Batchable& val, int n_classes) {
  nlohmann::json recipe = cfg;
  recipe.erase("epochs");
  nlohmann::json key = {{"recipe", recipe}, {"n_train", train.size()}, {"n_val", val.size()},
                        {"n_classes", n_classes}, {"soft_targets", train.soft.defined()}};
  if (train.multi_label) key["multi_label"] = true;
  return key;
}

// Everything fit carries from one epoch to the next.
struct LoopState {
  FitResult result;
  std::vector<torch::Tensor> best;
  double lr = 0;
  int since_best = 0;
};

void save_state(const std::string& path, const nlohmann::json& key, torch::nn::Module& model,
                const torch::optim::AdamW& opt, const Plateau& plateau, const LoopState& s) {
  torch::serialize::OutputArchive archive, weights, moments;
  model.save(weights);
  opt.save(moments);
  archive.write("model", weights);
  archive.write("optimizer", moments);
  for (size_t i = 0; i < s.best.size(); ++i) archive.write("best_" + std::to_string(i), s.best[i]);
  auto gen = at::detail::getDefaultCPUGenerator();
  {
    std::lock_guard<std::mutex> lock(gen.mutex());
    archive.write("rng", gen.get_state());
  }
  nlohmann::json history = nlohmann::json::array();
  for (auto& e : s.result.history) history.push_back(e);
  nlohmann::json meta = {{"key", key}, {"history", history}, {"best_epoch", s.result.best_epoch},
                         {"best_val_acc", s.result.best_val_acc}, {"stop_reason", s.result.stop_reason},
                         {"n_best", s.best.size()}, {"lr", s.lr}, {"since_best", s.since_best},
                         {"plateau_best", plateau.best()}, {"plateau_bad_epochs", plateau.bad_epochs()}};
  archive.write("meta", c10::IValue(util::json_text(meta)));
  util::write_atomic(path, [&](const std::string& tmp) { archive.save_to(tmp); });
}

void load_state(const std::string& path, const nlohmann::json& key, const TrainConfig& cfg, torch::nn::Module& model,
                torch::optim::AdamW& opt, Plateau& plateau, LoopState& s) {
  torch::serialize::InputArchive archive, weights, moments;
  try {
    archive.load_from(path);
  } catch (const c10::Error& e) {
    throw Error(path + ": not a readable training state (" + std::string(e.what_without_backtrace()) +
                "); delete it to start over");
  }
  c10::IValue meta_value;
  archive.read("meta", meta_value);
  auto meta = nlohmann::json::parse(meta_value.toStringRef());
  if (meta.at("key") != key)
    throw Error(path + ": the training state was saved by a run with a different recipe or data (" +
                util::json_text(meta.at("key")) + " vs " + util::json_text(key) + "); delete it to start over");
  archive.read("model", weights);
  model.load(weights);
  archive.read("optimizer", moments);
  opt.load(moments);
  s.best.resize(meta.at("n_best").get<size_t>());
  for (size_t i = 0; i < s.best.size(); ++i) archive.read("best_" + std::to_string(i), s.best[i]);
  torch::Tensor rng;
  archive.read("rng", rng);
  auto gen = at::detail::getDefaultCPUGenerator();
  {
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(rng);
  }
  s.result.history.clear();
  for (auto& e : meta.at("history")) s.result.history.push_back(e.get<EpochLog>());
  s.result.best_epoch = meta.at("best_epoch").get<int>();
  s.result.best_val_acc = meta.at("best_val_acc").get<double>();
  s.result.stop_reason = meta.at("stop_reason").get<std::string>();
  s.lr = meta.at("lr").get<double>();
  s.since_best = meta.at("since_best").get<int>();
  plateau.restore(meta.at("plateau_best").get<double>(), meta.at("plateau_bad_epochs").get<int>());
  set_lr(opt, s.lr, cfg);
}

}  // namespace

void remove_training_state(const std::string& path) {
  std::error_code ec;
  if (!path.empty()) std::filesystem::remove(path, ec);
}

FitResult fit(torch::nn::Module& model, const Forward& forward, const Batchable& train, const Batchable& val,
              int n_classes, const TrainConfig& cfg, const Augment& augment, const OnEpoch& on_epoch,
              const EpochCheckpoint& checkpoint, const AuxLoss& aux) {
  cfg.validate();
  if (aux && dist::world() > 1)
    throw Error("Train: an auxiliary loss (native.cycle_weight) is not supported with several ranks yet");
  if (train.size() == 0) throw Error("Train: the training set is empty");
  if (val.size() == 0) throw Error("Train: the validation set is empty (it drives the schedule and model choice)");
  torch::manual_seed(cfg.seed);
  const bool soft = train.soft.defined(), multi = train.multi_label;
  if (multi != val.multi_label) throw Error("Train: training and validation sets disagree on multi-label targets");
  // Multi-label: one sigmoid per label, each label's positives weighted by n_neg / n_pos.
  auto weights = !cfg.class_weighted ? torch::ones({n_classes})
                 : multi             ? positive_weights(train.soft)
                 : soft              ? class_weights_soft(train.soft)
                                     : class_weights(train.y, n_classes);
  auto loss_options = torch::nn::functional::CrossEntropyFuncOptions().weight(weights);
  const std::vector<torch::Tensor> frozen_first = prefixed_parameters(model, cfg);
  torch::optim::AdamW opt = make_optimizer(model, frozen_first, cfg);
  Plateau plateau(cfg.plateau);
  LoopState st;
  st.lr = cfg.lr;
  FitResult& result = st.result;
  nlohmann::json key = state_key(cfg, train, val, n_classes);
  if (!checkpoint.model_key.empty()) key["model"] = nlohmann::json::parse(checkpoint.model_key);
  // Several ranks (train/distributed.h) start alike: same data, and rank 0's state if it resumes.
  require_same_on_every_rank({train.size(), val.size(), n_classes, int64_t(cfg.seed)}, "the training data and seed");
  if (resume_as_rank0(checkpoint.path, !checkpoint.path.empty() && checkpoint.resume &&
                                           std::filesystem::exists(checkpoint.path))) {
    load_state(checkpoint.path, key, cfg, model, opt, plateau, st);
    if (on_epoch)
      for (auto& e : result.history) on_epoch(e);
  }
  // A run that stopped early stays stopped; one that used its whole budget may be given more epochs.
  if (result.stop_reason == "epochs") result.stop_reason.clear();
  for (int epoch = int(result.history.size()) + 1; epoch <= cfg.epochs && result.stop_reason.empty(); ++epoch) {
    auto t0 = std::chrono::steady_clock::now();
    model.train();
    // Frozen parameters get no gradient: no backward pass through them, and AdamW leaves them be.
    for (auto& p : frozen_first) p.requires_grad_(epoch > cfg.freeze_epochs);
    auto order = torch::randperm(train.size(), torch::kLong);
    double loss_sum = 0;
    int64_t correct = 0;
    for (int64_t s = 0; s < train.size(); s += cfg.batch_size) {
      auto idx = order.slice(0, s, std::min<int64_t>(train.size(), s + cfg.batch_size));
      auto x = train.x.index({idx});
      auto y = train.y.index({idx});
      if (augment) x = augment(x);
      if (dist::world() > 1) {  // this rank's share of the batch; gradients summed over ranks
        StepResult step = data_parallel_step(model, forward, x, train, idx, weights);
        if (cfg.grad_clip_norm > 0) torch::nn::utils::clip_grad_norm_(model.parameters(), cfg.grad_clip_norm);
        opt.step();
        loss_sum += step.loss * double(idx.size(0));
        correct += step.correct;
        continue;
      }
      opt.zero_grad();
      auto z = forward(x);
      auto loss = multi ? multilabel_loss(z, train.soft.index({idx}), weights)
                  : soft  ? soft_cross_entropy(z, train.soft.index({idx}), weights)
                          : torch::nn::functional::cross_entropy(z, y, loss_options);
      const double main_loss = loss.item<double>();  // logged: comparable with val_loss
      if (aux)
        if (auto extra = aux(); extra.defined()) loss = loss + extra;
      loss.backward();
      if (cfg.grad_clip_norm > 0) torch::nn::utils::clip_grad_norm_(model.parameters(), cfg.grad_clip_norm);
      opt.step();
      loss_sum += main_loss * double(idx.size(0));
      if (multi) {  // known labels right
        auto t = train.soft.index({idx});
        correct += (z.gt(0).eq(t.gt(0.5)) & t.ge(0)).sum().item<int64_t>();
      } else {
        correct += z.argmax(1).eq(y).sum().item<int64_t>();  // examples with y = -1 never count
      }
    }
    EpochLog log;
    log.epoch = epoch;
    log.lr = st.lr;
    log.train_loss = loss_sum / double(train.size());
    log.train_acc = multi ? double(correct) / std::max(1.0, train.soft.ge(0).sum().item<double>())
                          : double(correct) / std::max(1.0, train.y.ge(0).sum().item<double>());
    // Validation in training-sized batches, as the reference did: a 64-picture batch of 224x224
    // inputs alone would hold ~0.8 GB of activations.
    average_buffers(model);  // several ranks: BatchNorm's running statistics, alike everywhere
    Evaluation ev = evaluate_shared(model, forward, val, weights, cfg.batch_size, n_classes);
    log.val_loss = ev.loss;
    log.val_acc = ev.acc;
    if (plateau.step(ev.loss)) {
      st.lr = plateau.scale(st.lr);
      set_lr(opt, st.lr, cfg);
    }
    if (log.val_acc > result.best_val_acc) {
      result.best_val_acc = log.val_acc;
      result.best_epoch = epoch;
      st.best = snapshot(model);
      log.best = true;
      st.since_best = 0;
    } else {
      ++st.since_best;
    }
    log.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    result.history.push_back(log);
    if (log.val_acc >= cfg.stop_at_val_acc) {
      result.stop_reason = "target accuracy";
    } else if (!multi && cfg.collapse_after_epoch > 0 && epoch > cfg.collapse_after_epoch &&
               std::get<0>(at::_unique(ev.logits.argmax(1))).numel() == 1) {
      result.stop_reason = "collapsed to one class";
    } else if (cfg.patience_epochs > 0 && st.since_best >= cfg.patience_epochs) {
      result.stop_reason = "patience";
    } else if (epoch == cfg.epochs) {
      result.stop_reason = "epochs";
    }
    if (!checkpoint.path.empty() && dist::is_rank0()) save_state(checkpoint.path, key, model, opt, plateau, st);
    if (on_epoch) on_epoch(log);
  }
  if (result.stop_reason.empty()) result.stop_reason = "epochs";
  for (auto& p : frozen_first) p.requires_grad_(true);
  restore(model, st.best);
  model.eval();
  return result;
}

}  // namespace murmur::train
