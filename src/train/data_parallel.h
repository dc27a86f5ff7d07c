// The parts of train::fit that differ when it runs as several ranks (train/distributed.h): each
// rank takes a contiguous share of the global batch, its loss is divided by the *global* batch's
// normaliser, and the gradients are summed, so every rank takes the one-process step of the
// global batch. Everything random outside the model (order, augmentation) is drawn by every rank
// alike from the shared seed; what the model draws (Dropout) comes from a per-rank stream.
//
//   auto x = augment(train.x.index({idx}));            // the whole global batch, on every rank
//   StepResult s = data_parallel_step(model, forward, x, train, idx, weights);  // grads summed
//   opt.step();                                        // the same step on every rank
//   average_buffers(model);                            // BatchNorm's running statistics, per epoch
//   Evaluation ev = evaluate_shared(model, forward, val, weights, batch, n_classes);
#pragma once

#include <string>
#include <vector>

#include "train/trainer.h"

namespace murmur::train {

struct StepResult {
  double loss = 0;      // the global batch's loss (as the one-process step reports it)
  int64_t correct = 0;  // over the global batch
};
// Forward and backward on this rank's share of x (the augmented global batch of `idx`), then the
// gradients summed over ranks. Parameters no rank gave a gradient keep none (AdamW skips them).
StepResult data_parallel_step(torch::nn::Module& model, const Forward& forward, const torch::Tensor& x,
                              const Batchable& train, const torch::Tensor& idx, const torch::Tensor& weights);
// Floating buffers (BatchNorm's running mean and variance) averaged over ranks; others from rank 0.
void average_buffers(torch::nn::Module& model);
// evaluate() with each rank scoring a share of `data`; every rank gets the whole result.
Evaluation evaluate_shared(torch::nn::Module& model, const Forward& forward, const Batchable& data,
                           const torch::Tensor& weights, int batch_size, int n_classes);
// murmur::Error on every rank unless every rank passes the same values (e.g. its data's sizes).
void require_same_on_every_rank(const std::vector<int64_t>& values, const std::string& what);
// Whether to resume, as rank 0 decides; when it does, the other ranks receive its state file at `path`.
bool resume_as_rank0(const std::string& path, bool resume);

}  // namespace murmur::train
