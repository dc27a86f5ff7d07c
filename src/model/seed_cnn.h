// SeedCnn: the reference project's spectrogram classifier (SeedCNN in make_golden.py), in LibTorch.
//
//   murmur::model::SeedCnn model;                       // 5 classes, 430,853 parameters
//   model->eval();
//   torch::NoGradGuard no_grad;
//   torch::Tensor logits = model->forward(x);           // x [N, 3, H, W] float -> [N, 5]
//
// Four blocks Conv2d(3x3, pad 1) -> BatchNorm2d -> ReLU -> MaxPool2d(2) -> Dropout2d with channels
// 3 -> 32 -> 64 -> 128 -> 256 and dropout 0.1, 0.1, 0.2, 0.2; global average pooling; head
// Dropout(0.5) -> Linear(256,128) -> ReLU -> Dropout(0.3) -> Linear(128,64) -> ReLU ->
// Dropout(0.2) -> Linear(64, n_classes). H and W must be at least 16 (four 2x poolings).
//
// Layers live in two Sequentials registered as "features" and "classifier", so parameter and
// buffer names are PyTorch's state-dict keys: features.0.weight, features.1.running_mean,
// features.1.num_batches_tracked, ..., classifier.7.bias (see checkpoint.h for loading them).
#pragma once

#include <torch/torch.h>

#include "model/folded_conv.h"

namespace murmur::model {

class SeedCnnImpl : public torch::nn::Module {
 public:
  explicit SeedCnnImpl(int64_t n_classes = 5);

  // x [N, 3, H, W] (ImageNet-normalised image, see features/seed_image.h) -> logits [N, n_classes].
  torch::Tensor forward(torch::Tensor x);

  int64_t n_classes() const { return n_classes_; }

 private:
  int64_t n_classes_;
  torch::nn::Sequential features_{nullptr};
  torch::nn::AdaptiveAvgPool2d avgpool_{nullptr};
  torch::nn::Sequential classifier_{nullptr};
};
TORCH_MODULE(SeedCnn);

// SeedCnn for inference only, built from a trained model's eval-mode weights: each BatchNorm
// folded into its convolution (w' = w g / sqrt(var + eps), b' = (b - mean) g / sqrt(var + eps) +
// beta), no dropout, run under c10::InferenceMode. Same
// logits as SeedCnn::forward in eval mode, to float rounding; fewer passes over memory, and the
// convolutions in oneDNN (model/folded_conv.h).
//
//   murmur::model::FoldedSeedCnn fast(*model);        // copies; later changes to model are not seen
//   torch::Tensor logits = fast.forward(x);
class FoldedSeedCnn {
 public:
  explicit FoldedSeedCnn(const SeedCnnImpl& net);
  torch::Tensor forward(const torch::Tensor& x) const;

 private:
  std::vector<FoldedConv> convs_;
  std::vector<torch::Tensor> fc_w_, fc_b_;
};

}  // namespace murmur::model
