#include "model/native_net.h"

#include <nlohmann/json.hpp>

#include "util/check.h"
#include "util/error.h"

namespace murmur::model {

namespace {

void add_block(torch::nn::Sequential& seq, int in, int out, bool pool) {
  seq->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1).bias(false)));
  seq->push_back(torch::nn::BatchNorm2d(out));
  seq->push_back(torch::nn::ReLU(torch::nn::ReLUOptions().inplace(true)));
  if (pool) seq->push_back(torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)));
}

}  // namespace

NativeNetImpl::NativeNetImpl(const NativeNetConfig& cfg) : cfg_(cfg) {
  cfg_.validate();
  const int w = cfg_.width;
  torch::nn::Sequential seq;
  add_block(seq, cfg_.in_channels, w, true);
  add_block(seq, w, 2 * w, true);
  add_block(seq, 2 * w, 4 * w, true);
  add_block(seq, 4 * w, 4 * w, false);
  trunk_ = register_module("trunk", seq);
  dropout_ = register_module("dropout", torch::nn::Dropout(cfg_.dropout));
  head_ = register_module("head", torch::nn::Linear(4 * w, cfg_.n_classes));
  if (cfg_.cycle_states > 0)
    cycle_ = register_module("cycle", torch::nn::Conv1d(torch::nn::Conv1dOptions(4 * w, cfg_.cycle_states, 1)));
}

torch::Tensor NativeNetImpl::trunk(const torch::Tensor& x) {
  if (x.dim() != 4 || x.size(1) != cfg_.in_channels)
    throw Error("NativeNet: expected input [B, " + std::to_string(cfg_.in_channels) + ", n_mels, frames], got " +
                std::to_string(x.dim()) + " dims" + (x.dim() == 4 ? " with " + std::to_string(x.size(1)) + " channels" : ""));
  if (folded_.empty() || is_training()) return trunk_->forward(x);
  torch::NoGradGuard no_grad;
  auto h = enter_backend(x);
  for (size_t i = 0; i < folded_.size(); ++i) {
    h = folded_[i].forward(h).relu_();
    if (i + 1 < folded_.size()) h = torch::max_pool2d(h, 2);  // the first three blocks pool
  }
  return leave_backend(h);
}

void NativeNetImpl::freeze_for_inference() {
  Module::train(false);
  folded_.clear();
  for (size_t i = 0; i + 1 < trunk_->size(); ++i) {
    auto* conv = trunk_[i]->as<torch::nn::Conv2d>();
    auto* bn = trunk_[i + 1]->as<torch::nn::BatchNorm2d>();
    if (conv && bn)
      folded_.push_back(FoldedConv::fold(conv->weight, conv->bias, bn->weight, bn->bias, bn->running_mean,
                                         bn->running_var, bn->options.eps()));
  }
}

void NativeNetImpl::train(bool on) {
  if (on) folded_.clear();
  Module::train(on);
}

torch::Tensor NativeNetImpl::forward(const torch::Tensor& x) {
  auto f = trunk(x).mean({2, 3});
  return head_->forward(dropout_->forward(f));
}

std::pair<torch::Tensor, torch::Tensor> NativeNetImpl::forward_with_cycle(const torch::Tensor& x) {
  if (!cycle_) throw Error("NativeNet: no heart-cycle head (native.cycle_weight is 0)");
  auto h = trunk(x);
  auto logits = head_->forward(dropout_->forward(h.mean({2, 3})));
  return {logits, cycle_->forward(h.mean(2))};
}

torch::Tensor cycle_targets(const torch::Tensor& frame_states, int64_t steps) {
  const int64_t t = frame_states.size(1);
  auto centre = torch::arange(steps, torch::kLong) * kNativeTimeStride + kNativeTimeStride / 2;
  centre = centre.clamp_max(std::max<int64_t>(0, t - 1));
  return frame_states.index_select(1, centre).round().to(torch::kLong) - 1;
}

torch::Tensor cycle_loss(const torch::Tensor& state_logits, const torch::Tensor& targets) {
  auto known = targets.ge(0);
  const int64_t n = known.sum().item<int64_t>();
  if (n == 0) return state_logits.sum() * 0;
  auto ce = torch::nn::functional::cross_entropy(
      state_logits, targets.clamp_min(0), torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
  return (ce * known.to(ce.dtype())).sum() / double(n);
}

torch::Tensor NativeNetImpl::predict_windows(const torch::Tensor& x, int window_frames, int hop_frames) {
  return torch::softmax(window_logits(x, window_frames, hop_frames), 1);
}

torch::Tensor NativeNetImpl::window_logits(const torch::Tensor& x, int window_frames, int hop_frames) {
  return batch_window_logits(x, window_frames, hop_frames)[0];
}

torch::Tensor NativeNetImpl::batch_window_logits(const torch::Tensor& x, int window_frames, int hop_frames) {
  auto f = trunk(x).mean(2);  // [B, C, T']
  const int64_t t = f.size(2);
  const int64_t win = std::max<int64_t>(1, window_frames / kNativeTimeStride);
  const int64_t hop = std::max<int64_t>(1, hop_frames / kNativeTimeStride);
  torch::Tensor pooled;
  if (t <= win) {
    pooled = f.mean(2).unsqueeze(1);  // [B, 1, C]
  } else {
    // avg_pool1d over time = the mean feature of every window.
    pooled = torch::avg_pool1d(f, {win}, {hop}).transpose(1, 2);  // [B, n_windows, C]
  }
  return head_->forward(pooled);
}

}  // namespace murmur::model
