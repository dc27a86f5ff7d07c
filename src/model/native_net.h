// NativeNet: murmur's own small CNN for heart sounds (preset `native`).
//
//   murmur::model::NativeNet net(NativeNetConfig{});          // ~60k parameters at width 16
//   torch::Tensor logits = net->forward(x);                    // x [B, C, n_mels, frames] -> [B, 5]
//   torch::Tensor probs = net->predict_windows(x, win, hop);   // one recording: [n_windows, 5]
//   auto [logits, states] = net->forward_with_cycle(x);        // cycle_states > 0: + [B, 4, T/8]
//
// Four 3x3 conv blocks (Conv -> BatchNorm -> ReLU, max-pooled 2x after the first three),
// widths w, 2w, 4w, 4w; global average pooling over frequency and time; Dropout; Linear.
// It is fully convolutional in time, so one pass over a whole recording followed by
// average pooling per window gives every window's prediction at the cost of one window-free
// pass (predict_windows), which is what keeps a 20 s recording in milliseconds.
#pragma once

#include <torch/torch.h>

#include "model/folded_conv.h"
#include "model/native_net_config.h"

namespace murmur::model {

class NativeNetImpl : public torch::nn::Module {
 public:
  explicit NativeNetImpl(const NativeNetConfig& cfg = {});
  torch::Tensor forward(const torch::Tensor& x);  // [B, in_channels, F, T] -> logits [B, K]
  // The logits and the heart-cycle head's state logits of every trunk time step [B, S, T'] from
  // one trunk pass (NativeNetConfig::cycle_states > 0; training only: inference never needs it).
  std::pair<torch::Tensor, torch::Tensor> forward_with_cycle(const torch::Tensor& x);
  // [B, C, F', T'] feature map of the trunk.
  torch::Tensor trunk(const torch::Tensor& x);
  // Softmax probabilities of each window of `window_frames` input frames every `hop_frames`,
  // from one trunk pass over x [1, C, F, T]: [n_windows, K]. Recordings shorter than one
  // window give one window over everything.
  torch::Tensor predict_windows(const torch::Tensor& x, int window_frames, int hop_frames);
  torch::Tensor window_logits(const torch::Tensor& x, int window_frames, int hop_frames);  // before softmax
  // The same for a batch of recordings of one shape x [B, C, F, T]: [B, n_windows, K] logits.
  torch::Tensor batch_window_logits(const torch::Tensor& x, int window_frames, int hop_frames);

  // Inference from here on: eval mode, each BatchNorm folded into its convolution and the trunk
  // run in oneDNN (model/folded_conv.h), ~10x faster at batch 1. Copies the weights: train(true)
  // drops the copy, and changing weights in eval mode needs another call.
  void freeze_for_inference();
  void train(bool on = true) override;

 private:
  std::vector<FoldedConv> folded_;  // set by freeze_for_inference
  NativeNetConfig cfg_;
  torch::nn::Sequential trunk_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::Linear head_{nullptr};
  torch::nn::Conv1d cycle_{nullptr};  // cycle_states > 0
};
TORCH_MODULE(NativeNet);

// Targets of the heart-cycle head: frame_states [B, T] holds each input frame's state + 1 (0 =
// not annotated); the result [B, steps] int64 is the state at the centre frame of each trunk time
// step (8j + 4, the last frame past the end), -1 where not annotated.
torch::Tensor cycle_targets(const torch::Tensor& frame_states, int64_t steps);
// Mean cross-entropy of state logits [B, S, T'] over the annotated steps of targets [B, T'];
// 0 (with a gradient path) when none is annotated.
torch::Tensor cycle_loss(const torch::Tensor& state_logits, const torch::Tensor& targets);


}  // namespace murmur::model
