// SeedCnn (model/seed_cnn.h, the reference's network) for inference without LibTorch: each
// BatchNorm folded into its convolution, the four blocks run by oneDNN directly (convolution with
// the ReLU fused, 2x max pooling, infer/conv_trunk.h), the global mean and the three linear
// layers in plain loops. Weights come from murmur's own checkpoint reader (model/saved.h) under
// SeedCnn's state-dict keys (features.0.weight ... classifier.7.bias): the reference's
// seed_model.pth and murmur's seed checkpoints alike.
//
//   model::SavedCheckpoint ck = model::read_saved_checkpoint("seed_model.pth");
//   infer::SeedEngine net(ck.state, /*n_classes=*/5, /*prefix=*/"", "seed_model.pth");
//   std::vector<float> z = net.logits(x, 224, 224);   // x: [3][H][W], ImageNet-normalised
//
// Logits agree with LibTorch's FoldedSeedCnn to float rounding (tests/seed_engine_test.cpp).
#pragma once

#include <string>
#include <vector>

#include "infer/conv_trunk.h"
#include "model/saved.h"

namespace murmur::infer {

class SeedEngine {
 public:
  // Strict like model::load_into: murmur::Error starting with `source` for a missing key, one
  // left over or a wrong shape.
  SeedEngine(const model::RawState& state, int n_classes, const std::string& prefix, const std::string& source);

  // The logits [n_classes] of one image of height x width (each at least 16). Thread-safe.
  std::vector<float> logits(const std::vector<float>& x, int height, int width) const;

  int n_outputs() const { return int(head_.back().b.size()); }

 private:
  struct Linear {
    std::vector<float> w, b;  // [out][in], [out]
  };
  std::vector<ConvBlock> convs_;  // 3 -> 32 -> 64 -> 128 -> 256, each max-pooled 2x
  std::vector<Linear> head_;      // 256 -> 128 -> 64 -> n_classes, ReLU between
};

}  // namespace murmur::infer
