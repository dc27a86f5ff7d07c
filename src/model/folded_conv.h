// Inference-only convolution stacks: BatchNorm folded into each 3x3 convolution, run through
// LibTorch's oneDNN (mkldnn) backend when this LibTorch has it.
//
//   FoldedConv c = FoldedConv::fold(conv_w, conv_b, bn_gamma, bn_beta, bn_mean, bn_var, 1e-5);
//   torch::Tensor h = enter_backend(x);          // dense [N, C, H, W] float -> oneDNN layout
//   h = torch::max_pool2d(c.forward(h).relu_(), 2);
//   torch::Tensor y = leave_backend(h);          // back to a dense tensor
//
// Why: Debian's LibTorch runs a dense batch-1 convolution as im2col + the reference BLAS, and
// the native trunk's 64-channel block alone took ~9 ms on one thread; the same stack in oneDNN
// takes ~1 ms (docs/RESULTS.md section 8). Training keeps the module's dense path (its numbers
// are what the committed results reproduce); outputs agree to float rounding (~1e-6 relative).
#pragma once

#include <torch/torch.h>

namespace murmur::model {

// True when convolutions run in oneDNN (at::hasMKLDNN()); otherwise everything stays dense.
bool onednn_available();

// x as the backend's input: a contiguous float tensor, in oneDNN's layout when available.
torch::Tensor enter_backend(const torch::Tensor& x);
// A tensor from the backend as an ordinary dense one.
torch::Tensor leave_backend(const torch::Tensor& h);

// One 3x3 convolution (stride 1, padding 1) with its BatchNorm folded in:
// w' = w g / sqrt(var + eps), b' = (b - mean) g / sqrt(var + eps) + beta.
struct FoldedConv {
  torch::Tensor weight;  // in the backend's layout
  torch::Tensor bias;    // dense [C_out]
  // conv_bias may be undefined (a convolution without bias).
  static FoldedConv fold(const torch::Tensor& conv_weight, const torch::Tensor& conv_bias, const torch::Tensor& gamma,
                         const torch::Tensor& beta, const torch::Tensor& running_mean,
                         const torch::Tensor& running_var, double eps);
  torch::Tensor forward(const torch::Tensor& h) const;  // h from enter_backend / a previous layer
};

}  // namespace murmur::model
