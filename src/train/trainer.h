// The training loop; by default the reference's recipe: batch 16 shuffled, class-weighted cross-entropy,
// AdamW(1e-3, decay 0.01), grad norm clipped at 1, ReduceLROnPlateau on val loss (0.5, 3), up to 30
// epochs keeping the best val-accuracy weights, stopping at 75% val accuracy or one-class collapse.
//
//   murmur::train::TrainConfig cfg;               // the reference's recipe
//   auto result = murmur::train::fit(model, forward, train_set, val_set, cfg, augment, on_epoch);
//   // model now holds the best epoch's weights; result.history has one row per epoch
//
// Model-agnostic: `forward` maps a batch to logits [B, K]; `augment` (may be empty) transforms a batch.
// Several ranks (train/distributed.h): each takes a share of every batch (train/data_parallel.h).
#pragma once

#include <torch/torch.h>

#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "train/plateau.h"

namespace murmur::train {

struct TrainConfig {
  int epochs = 30, batch_size = 16;
  double lr = 1e-3, weight_decay = 0.01;  // AdamW; weight_decay is its decoupled decay
  double grad_clip_norm = 1.0;            // <= 0 disables clipping
  bool class_weighted = true;             // weight_c = n_train / (K * n_c)
  PlateauConfig plateau;                  // on validation loss
  double stop_at_val_acc = 0.75;          // > 1 disables
  int collapse_after_epoch = 5;           // stop if all val predictions are one class after it; 0 = off
  int patience_epochs = 0;                // stop on no val-acc improvement; 0 = off (the reference's)
  uint64_t seed = 0;
  std::string init;  // --init: start from this checkpoint's tensors whose names and shapes match (model/init.h)
  std::string freeze_prefix;  // parameters named so are frozen for freeze_epochs, then learn at lr * scale
  int freeze_epochs = 0; double unfreeze_lr_scale = 1.0;
  void validate(const std::string& section = "train") const;  // "train.field: rule (got v)"
};
void to_json(nlohmann::json& j, const TrainConfig& c);
void from_json(const nlohmann::json& j, TrainConfig& c);

// Multi-label sets (multi_label): soft holds 0/1 targets [N, K], one sigmoid per label; the loss is
// binary cross-entropy with each label's positives weighted n_neg / n_pos (class_weighted), and
// "accuracy" is the mean over labels of the balanced accuracy at p = 0.5 (train: labels right).
// A target of -1 is unknown (its source lacks that label): masked out of loss, weights, accuracies.
struct Batchable {
  torch::Tensor x, y, soft;  // [N, ...] float; [N] int64 classes (-1: see soft); optional [N, K] targets
  bool multi_label = false;
  int64_t size() const { return y.defined() ? y.size(0) : 0; }
};
struct EpochLog {  // epoch is 1-based; best: this epoch's weights were kept
  int epoch = 0;
  double train_loss = 0, train_acc = 0, val_loss = 0, val_acc = 0, lr = 0, seconds = 0;
  bool best = false;
};
void to_json(nlohmann::json& j, const EpochLog& e);
void from_json(const nlohmann::json& j, EpochLog& e);
struct FitResult {
  int best_epoch = 0; double best_val_acc = -1;
  std::string stop_reason;  // "epochs", "target accuracy", "collapsed to one class", "patience"
  std::vector<EpochLog> history;
};
using Forward = std::function<torch::Tensor(const torch::Tensor&)>;
using Augment = std::function<torch::Tensor(const torch::Tensor&)>;
using OnEpoch = std::function<void(const EpochLog&)>;
using AuxLoss = std::function<torch::Tensor()>;  // the last training forward's extra loss (undefined: none)

// Each epoch fit saves its state to `path` (atomically); `resume` ends as an uninterrupted run would (same seed,
// threads; on_epoch replayed). Refused: a state of another recipe, data size or model_key (`epochs` may change).
struct EpochCheckpoint {
  std::string path;  // "" = no epoch checkpoints
  bool resume = false;
  std::string model_key;  // what else shapes the run (the preset's other settings, JSON text); "" = nothing
};
void remove_training_state(const std::string& path);  // deletes a run's saved state once it has ended
// weight_c = n / (K * n_c) over the labels y (absent classes get 0); _soft: n_c = column sums of [N, K].
torch::Tensor class_weights(const torch::Tensor& y, int n_classes);
torch::Tensor class_weights_soft(const torch::Tensor& targets);
torch::Tensor positive_weights(const torch::Tensor& targets);  // [K] n_neg / n_pos per label (1 if none)
// BCE over the known targets (>= 0): mean, or sum with their count in *n_known; all known: LibTorch's.
torch::Tensor multilabel_loss(const torch::Tensor& logits, const torch::Tensor& targets, const torch::Tensor& pos_weight,
                              torch::Tensor* n_known = nullptr);
double macro_balanced_accuracy(const torch::Tensor& logits, const torch::Tensor& targets);  // at logit 0
// sum_n sum_k w_k t_nk (-log p_nk) / sum_n sum_k w_k t_nk (one-hot: CrossEntropyLoss(weight)).
torch::Tensor soft_cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets, const torch::Tensor& weights);

struct Evaluation {  // mean loss, accuracy and logits [N, K] of `forward` on data, eval mode, batched
  double loss = 0, acc = 0; torch::Tensor logits;
};
Evaluation evaluate(torch::nn::Module& model, const Forward& forward, const Batchable& data,
                    const torch::Tensor& weights, int batch_size);
// Trains `model` in place and leaves it holding the best validation-accuracy weights; `aux`, if
// given, is added to each training step's loss (one process only).
FitResult fit(torch::nn::Module& model, const Forward& forward, const Batchable& train,
              const Batchable& val, int n_classes, const TrainConfig& cfg, const Augment& augment = {},
              const OnEpoch& on_epoch = {}, const EpochCheckpoint& checkpoint = {}, const AuxLoss& aux = {});
// Flips each item of [B, C, H, W] left-right with probability p (torchvision RandomHorizontalFlip).
torch::Tensor random_hflip(const torch::Tensor& batch, double p);

}  // namespace murmur::train
