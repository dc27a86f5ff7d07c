// Self-supervised pretraining of a preset's encoder (the native trunk, model/native_net.h, or
// EfficientAT's, model/efficientat.h) on recordings without labels: contrastive, as SimCLR (Chen
// et al. 2020, NT-Xent loss) with COLA's positives for audio (Saeed et al. 2021): two windows of
// the same recording, each augmented on its own, should embed close together and far from every
// other recording's windows in the batch.
//
//   PretrainConfig cfg;                                   // section "pretrain" of `murmur pretrain`
//   auto embed = [&](const torch::Tensor& v) { return net->trunk(v).mean({2, 3}); };  // [2B, C]
//   auto log = pretrain_trunk(*net, embed, recordings, 125, [&](const torch::Tensor& b) { return preset.augment(b); },
//                             cfg, head);                 // recordings: [C, F, T_i] each
//   // net's encoder weights are the result; `train --init` takes them (model/init.h)
//
// A step: B recordings, two windows of window_frames from independent random starts within each
// (zero-padded when shorter), each then through `view` (time reversal, SpecAugment, robustness
// responses: whatever the preset's training does to a window), `embed` (the encoder's feature
// map averaged over frequency and time), a projection head (Linear-ReLU-Linear, trained with it,
// kept only to resume), the NT-Xent loss over the 2B views at temperature tau. AdamW with a cosine
// schedule over net's and the head's parameters; BatchNorm sees both views of the batch at once.
#pragma once

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

namespace murmur::train {

struct PretrainConfig {
  int epochs = 30;
  int batch_size = 64;           // recordings per step (2 views each); at least 2
  double lr = 1e-3, weight_decay = 1e-4;  // AdamW, cosine decay to 0 over the epochs
  double temperature = 0.2;      // NT-Xent's tau
  int projection_dim = 64;       // the projection head's output
  uint64_t seed = 0;
  void validate(const std::string& section = "pretrain") const;  // "pretrain.field: rule (got v)"
};
void to_json(nlohmann::json& j, const PretrainConfig& c);
void from_json(const nlohmann::json& j, PretrainConfig& c);

// The projection head: Linear(C, C) -> ReLU -> Linear(C, projection_dim), C the trunk's channels.
torch::nn::Sequential projection_head(int64_t channels, const PretrainConfig& cfg);

// NT-Xent of embeddings [2B, d]: rows i and i + B are positives, every other row a negative.
torch::Tensor nt_xent(const torch::Tensor& z, double temperature);

struct PretrainEpoch {
  int epoch = 0;  // 1-based
  double loss = 0, positive_rank1 = 0, seconds = 0;  // rank1: views whose nearest other view is their twin
};
void to_json(nlohmann::json& j, const PretrainEpoch& e);

// Trains net (the parameters `embed` reaches) and `head` from epoch `first_epoch` (0: the start; a
// resumed run passes the epochs done) to cfg.epochs; on_epoch after each (to save it).
// Deterministic for a seed. embed: views [2B, C, F, T] -> [2B, channels of the head's input].
using TensorFn = std::function<torch::Tensor(const torch::Tensor&)>;
std::vector<PretrainEpoch> pretrain_trunk(torch::nn::Module& net, const TensorFn& embed,
                                          const std::vector<torch::Tensor>& recordings,
                                          int64_t window_frames,
                                          const TensorFn& view,
                                          const PretrainConfig& cfg, torch::nn::Sequential& head, int first_epoch = 0,
                                          const std::function<void(const PretrainEpoch&)>& on_epoch = {});

}  // namespace murmur::train
