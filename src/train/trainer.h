// The training loop, the reference's recipe by default: batch 16 shuffled, class-weighted
// cross-entropy (weight_c = n_train / (K * n_c)), AdamW(lr 1e-3, weight_decay 0.01), gradient
// norm clipped at 1.0, ReduceLROnPlateau on validation loss (factor 0.5, patience 3), up to 30
// epochs, keep the best validation-accuracy weights, stop early at 75% validation accuracy or
// when, after epoch 5, every validation prediction falls in one class.
//
//   murmur::train::TrainConfig cfg;               // the reference's recipe
//   auto result = murmur::train::fit(model, forward, train_set, val_set, cfg, augment, on_epoch);
//   // model now holds the best epoch's weights; result.history has one row per epoch
//
// The loop is model-agnostic: `forward` maps a batch to logits [B, K]; `augment` (may be empty)
// transforms a training batch in place of the data (e.g. random horizontal flip, p = 0.3).
#pragma once

#include <torch/torch.h>

#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "train/plateau.h"

namespace murmur::train {

struct TrainConfig {
  int epochs = 30;
  int batch_size = 16;
  double lr = 1e-3;
  double weight_decay = 0.01;        // AdamW's decoupled decay
  double grad_clip_norm = 1.0;       // <= 0 disables clipping
  bool class_weighted = true;        // weight_c = n_train / (K * n_c)
  PlateauConfig plateau;             // on validation loss
  double stop_at_val_acc = 0.75;     // > 1 disables
  int collapse_after_epoch = 5;      // stop if all validation predictions are one class after this epoch; 0 disables
  int patience_epochs = 0;           // early stopping on no val-acc improvement; 0 = off (the reference had none)
  uint64_t seed = 0;
  void validate(const std::string& section = "train") const;  // "train.field: rule (got v)"
};

void to_json(nlohmann::json& j, const TrainConfig& c);
void from_json(const nlohmann::json& j, TrainConfig& c);

struct Batchable {
  torch::Tensor x;     // [N, ...] float
  torch::Tensor y;     // [N] int64 class indices; -1 where only `soft` describes the example
  torch::Tensor soft;  // optional [N, K] target distributions (e.g. multi-disease patients)
  int64_t size() const { return y.defined() ? y.size(0) : 0; }
};

struct EpochLog {
  int epoch = 0;  // 1-based
  double train_loss = 0, train_acc = 0, val_loss = 0, val_acc = 0, lr = 0, seconds = 0;
  bool best = false;  // this epoch's weights were kept
};

void to_json(nlohmann::json& j, const EpochLog& e);
void from_json(const nlohmann::json& j, EpochLog& e);

struct FitResult {
  int best_epoch = 0;
  double best_val_acc = -1;
  std::string stop_reason;  // "epochs", "target accuracy", "collapsed to one class", "patience"
  std::vector<EpochLog> history;
};

using Forward = std::function<torch::Tensor(const torch::Tensor&)>;
using Augment = std::function<torch::Tensor(const torch::Tensor&)>;
using OnEpoch = std::function<void(const EpochLog&)>;

// Epoch checkpoints: after every epoch fit saves its whole state (weights, optimizer moments,
// scheduler, best weights so far, history, random generator) to `path`, atomically. With `resume`
// and an existing file, fit continues after the saved epoch and ends exactly as an uninterrupted
// run would (same seed, machine and thread count); on_epoch is first called for the saved epochs.
// A state saved under a different recipe or data size is refused (only `epochs` may change).
// The caller removes the file once its outputs are written (remove_training_state).
struct EpochCheckpoint {
  std::string path;     // "" = no epoch checkpoints
  bool resume = false;
};
void remove_training_state(const std::string& path);

// weight_c = n / (K * n_c) over the labels y (classes absent from y get weight 0).
torch::Tensor class_weights(const torch::Tensor& y, int n_classes);
// The same from target distributions [N, K]: n_c = sum of column c.
torch::Tensor class_weights_soft(const torch::Tensor& targets);

// Class-weighted cross-entropy with target distributions: sum_n sum_k w_k t_nk (-log p_nk) /
// sum_n sum_k w_k t_nk, which for one-hot targets equals PyTorch's CrossEntropyLoss(weight).
torch::Tensor soft_cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets, const torch::Tensor& weights);

// Mean loss, accuracy and predictions of `forward` on `data` in eval mode, batched.
struct Evaluation {
  double loss = 0, acc = 0;
  torch::Tensor logits;  // [N, K]
};
Evaluation evaluate(torch::nn::Module& model, const Forward& forward, const Batchable& data,
                    const torch::Tensor& weights, int batch_size);

// Trains `model` in place and leaves it holding the best validation-accuracy weights.
FitResult fit(torch::nn::Module& model, const Forward& forward, const Batchable& train,
              const Batchable& val, int n_classes, const TrainConfig& cfg, const Augment& augment = {},
              const OnEpoch& on_epoch = {}, const EpochCheckpoint& checkpoint = {});

// Random horizontal flip of each item of an image batch [B, C, H, W] with probability p
// (torchvision RandomHorizontalFlip, the reference's only training transform).
torch::Tensor random_hflip(const torch::Tensor& batch, double p);

}  // namespace murmur::train
