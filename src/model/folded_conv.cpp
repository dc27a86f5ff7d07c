#include "model/folded_conv.h"

namespace murmur::model {

bool onednn_available() {
  static const bool available = at::hasMKLDNN();
  return available;
}

torch::Tensor enter_backend(const torch::Tensor& x) {
  auto dense = x.to(torch::kFloat).contiguous();
  return onednn_available() ? dense.to_mkldnn() : dense;
}

torch::Tensor leave_backend(const torch::Tensor& h) { return h.is_mkldnn() ? h.to_dense() : h; }

FoldedConv FoldedConv::fold(const torch::Tensor& conv_weight, const torch::Tensor& conv_bias,
                            const torch::Tensor& gamma, const torch::Tensor& beta, const torch::Tensor& running_mean,
                            const torch::Tensor& running_var, double eps) {
  torch::NoGradGuard no_grad;
  auto scale = gamma / torch::sqrt(running_var + eps);
  auto b = conv_bias.defined() ? conv_bias : torch::zeros_like(running_mean);
  auto w = (conv_weight * scale.view({-1, 1, 1, 1})).contiguous();
  return {onednn_available() ? w.to_mkldnn() : w, ((b - running_mean) * scale + beta).contiguous()};
}

torch::Tensor FoldedConv::forward(const torch::Tensor& h) const {
  if (weight.is_mkldnn()) return at::mkldnn_convolution(h, weight, bias, /*padding=*/{1, 1}, /*stride=*/{1, 1},
                                                        /*dilation=*/{1, 1}, /*groups=*/1);
  return torch::conv2d(h, weight, bias, /*stride=*/1, /*padding=*/1);
}

}  // namespace murmur::model
