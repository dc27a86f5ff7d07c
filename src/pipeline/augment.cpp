#include "pipeline/augment.h"

#include <vector>

namespace murmur::pipeline {

torch::Tensor random_windows(const torch::Tensor& batch, int64_t frames) {
  const int64_t b = batch.size(0), t = batch.size(3);
  const int64_t w = std::min<int64_t>(t, frames);
  auto starts = torch::randint(0, t - w + 1, {b}, torch::kLong);
  std::vector<torch::Tensor> crops;
  for (int64_t i = 0; i < b; ++i) {
    int64_t s0 = starts[i].item<int64_t>();
    crops.push_back(batch[i].slice(2, s0, s0 + w));
  }
  return torch::stack(crops).clone();
}

void random_time_reverse(torch::Tensor& x, double p) {
  auto flip = torch::rand({x.size(0)}) < p;
  auto idx = flip.nonzero().squeeze(1);
  if (idx.numel()) x.index_put_({idx}, x.index({idx}).flip({-1}));
}

torch::Tensor random_gain(const torch::Tensor& x, double gain_db) {
  auto y = x.clone();  // channel 0 only: the others are phase indicators, not levels
  y.slice(1, 0, 1).add_((torch::rand({x.size(0), 1, 1, 1}) * 2 - 1) * float(gain_db / 10.0));
  return y;
}

void spec_augment(torch::Tensor& x, const SpecAugmentConfig& cfg) {
  const int64_t b = x.size(0), f = x.size(2), w = x.size(3);
  for (int64_t i = 0; i < b; ++i) {
    for (int m = 0; m < cfg.freq_masks && cfg.freq_mask_bins > 0; ++m) {
      int64_t width = torch::randint(0, cfg.freq_mask_bins + 1, {1}).item<int64_t>();
      int64_t f0 = torch::randint(0, std::max<int64_t>(1, f - width), {1}).item<int64_t>();
      x[i][0].slice(0, f0, f0 + width).zero_();
    }
    for (int m = 0; m < cfg.time_masks && cfg.time_mask_frames > 0; ++m) {
      int64_t width = torch::randint(0, cfg.time_mask_frames + 1, {1}).item<int64_t>();
      int64_t t0 = torch::randint(0, std::max<int64_t>(1, w - width), {1}).item<int64_t>();
      x[i][0].slice(1, t0, t0 + width).zero_();
    }
  }
}

}  // namespace murmur::pipeline
