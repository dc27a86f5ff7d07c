#include "model/seed_cnn.h"

#include "util/error.h"

namespace murmur::model {

namespace {

// Appends one Conv2d(3x3, pad 1) -> BatchNorm2d -> ReLU -> MaxPool2d(2) -> Dropout2d block, as the
// reference's block(); Sequential names its layers "0", "1", ... exactly as nn.Sequential does.
void add_block(torch::nn::Sequential& seq, int64_t in_channels, int64_t out_channels, double dropout) {
  seq->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(in_channels, out_channels, 3).padding(1)));
  seq->push_back(torch::nn::BatchNorm2d(out_channels));
  seq->push_back(torch::nn::ReLU(torch::nn::ReLUOptions().inplace(true)));
  seq->push_back(torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2).stride(2)));
  seq->push_back(torch::nn::Dropout2d(dropout));
}

// Both networks take [N, 3, H, W] with H, W >= 16 (four 2x poolings).
void check_input(const torch::Tensor& x) {
  if (x.dim() != 4 || x.size(1) != 3 || x.size(2) < 16 || x.size(3) < 16)
    throw Error("SeedCnn: input shape " + c10::str(x.sizes()) + ": expected [N, 3, H, W] with H, W >= 16");
}

}  // namespace

SeedCnnImpl::SeedCnnImpl(int64_t n_classes) : n_classes_(n_classes) {
  if (n_classes < 2) throw Error("SeedCnn: n_classes: " + std::to_string(n_classes) + ": needs at least 2");
  torch::nn::Sequential features;
  add_block(features, 3, 32, 0.1);
  add_block(features, 32, 64, 0.1);
  add_block(features, 64, 128, 0.2);
  add_block(features, 128, 256, 0.2);
  features_ = register_module("features", features);
  avgpool_ = register_module("avgpool", torch::nn::AdaptiveAvgPool2d(1));
  classifier_ = register_module(
      "classifier",
      torch::nn::Sequential(torch::nn::Dropout(0.5), torch::nn::Linear(256, 128),
                            torch::nn::ReLU(torch::nn::ReLUOptions().inplace(true)), torch::nn::Dropout(0.3),
                            torch::nn::Linear(128, 64), torch::nn::ReLU(torch::nn::ReLUOptions().inplace(true)),
                            torch::nn::Dropout(0.2), torch::nn::Linear(64, n_classes)));
}

torch::Tensor SeedCnnImpl::forward(torch::Tensor x) {
  check_input(x);
  x = avgpool_->forward(features_->forward(x));
  return classifier_->forward(torch::flatten(x, /*start_dim=*/1));
}

FoldedSeedCnn::FoldedSeedCnn(const SeedCnnImpl& net) {
  torch::NoGradGuard no_grad;
  auto params = net.named_parameters();
  auto buffers = net.named_buffers();
  for (int block = 0; block < 4; ++block) {
    const std::string conv = "features." + std::to_string(5 * block) + ".";
    const std::string bn = "features." + std::to_string(5 * block + 1) + ".";
    convs_.push_back(FoldedConv::fold(params[conv + "weight"], params[conv + "bias"], params[bn + "weight"],
                                      params[bn + "bias"], buffers[bn + "running_mean"], buffers[bn + "running_var"],
                                      1e-5));  // BatchNorm2d's eps
  }
  for (int layer : {1, 4, 7}) {
    fc_w_.push_back(params["classifier." + std::to_string(layer) + ".weight"].clone());
    fc_b_.push_back(params["classifier." + std::to_string(layer) + ".bias"].clone());
  }
}

torch::Tensor FoldedSeedCnn::forward(const torch::Tensor& x) const {
  check_input(x);
  c10::InferenceMode inference;
  torch::Tensor h = enter_backend(x);
  for (auto& conv : convs_) h = torch::max_pool2d(conv.forward(h).relu_(), 2, 2);
  h = leave_backend(h).mean({2, 3});
  h = torch::linear(h, fc_w_[0], fc_b_[0]).relu_();
  h = torch::linear(h, fc_w_[1], fc_b_[1]).relu_();
  return torch::linear(h, fc_w_[2], fc_b_[2]);
}

}  // namespace murmur::model
