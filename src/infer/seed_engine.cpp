#include "infer/seed_engine.h"

#include "util/error.h"

namespace murmur::infer {

SeedEngine::SeedEngine(const model::RawState& state, int n_classes, const std::string& prefix,
                       const std::string& source) {
  if (n_classes < 2) throw Error(source + ": SeedCnn: n_classes " + std::to_string(n_classes) + ": needs at least 2");
  StateTaker take(state, prefix, source);
  const int widths[5] = {3, 32, 64, 128, 256};
  for (int i = 0; i < 4; ++i)  // block i: Conv2d (with bias) at features.5i, BatchNorm2d at 5i + 1
    convs_.push_back(fold_conv_bn(take, "features." + std::to_string(5 * i) + ".",
                                  "features." + std::to_string(5 * i + 1) + ".", widths[i], widths[i + 1],
                                  /*conv_bias=*/true, /*pool_after=*/true));
  const int sizes[4] = {256, 128, 64, n_classes};
  const int layers[3] = {1, 4, 7};  // classifier: Dropout, Linear, ReLU, Dropout, Linear, ReLU, Dropout, Linear
  for (int i = 0; i < 3; ++i) {
    const std::string key = "classifier." + std::to_string(layers[i]) + ".";
    head_.push_back({take.floats(key + "weight", {sizes[i + 1], sizes[i]}), take.floats(key + "bias", {sizes[i + 1]})});
  }
  take.check_all_used();
}

std::vector<float> SeedEngine::logits(const std::vector<float>& x, int height, int width) const {
  if (height < 16 || width < 16 || x.size() != size_t(3) * size_t(height) * size_t(width))
    throw Error("SeedCnn: input of " + std::to_string(x.size()) + " values for 3 x " + std::to_string(height) + " x " +
                std::to_string(width) + ": expected 3 x H x W with H, W >= 16");
  const Planes y = run_conv_trunk(convs_, {x.data(), 3, height, width}, "SeedCnn");
  // AdaptiveAvgPool2d(1): each channel's mean.
  const size_t plane = size_t(y.height * y.width);
  std::vector<float> h(size_t(y.channels));
  for (size_t c = 0; c < h.size(); ++c) {
    double s = 0;
    for (size_t i = 0; i < plane; ++i) s += y.data[c * plane + i];
    h[c] = float(s / double(plane));
  }
  for (size_t l = 0; l < head_.size(); ++l) {
    const Linear& lin = head_[l];
    std::vector<float> next(lin.b.size());
    for (size_t o = 0; o < next.size(); ++o) {
      double s = lin.b[o];
      for (size_t i = 0; i < h.size(); ++i) s += double(lin.w[o * h.size() + i]) * h[i];
      next[o] = l + 1 < head_.size() && s < 0 ? 0.f : float(s);  // ReLU between the layers
    }
    h = std::move(next);
  }
  return h;
}

}  // namespace murmur::infer
