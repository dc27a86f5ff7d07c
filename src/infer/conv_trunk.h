// The convolution trunks LibTorch-free inference runs (infer/native_engine.h, seed_engine.h):
// 3x3 convolutions (padding 1) with their BatchNorm folded in and the ReLU fused, each block
// optionally followed by a 2x max pooling, on oneDNN directly; and the strict reading of their
// weights from a state dict (model/saved.h), as model::load_into reads it.
//
//   StateTaker take(ck.state, /*prefix=*/"", "model.pth");
//   std::vector<ConvBlock> blocks;
//   blocks.push_back(fold_conv_bn(take, "trunk.0.", "trunk.1.", 1, 16, /*conv_bias=*/false, /*pool=*/true));
//   ...
//   take.check_all_used();                                  // Error naming any key left over
//   Planes y = run_conv_trunk(blocks, {x, 1, 64, 862}, "NativeNet");  // y.data: [C][H][W]
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "model/saved.h"

namespace murmur::infer {

// The weights of one network in a state dict: every key under `prefix` must be taken once.
// Errors (murmur::Error) start with `source` and name the key, as model::load_into's.
class StateTaker {
 public:
  StateTaker(const model::RawState& state, std::string prefix, std::string source);
  // The tensor under prefix + key as floats; its shape must be `shape`.
  std::vector<float> floats(const std::string& key, const std::vector<int64_t>& shape);
  void present(const std::string& key);  // a key that must be there, its value unused
  void check_all_used() const;           // "unexpected keys [...]" for any key under prefix not taken
  const std::string& source() const { return source_; }

 private:
  const model::RawTensor& find(const std::string& key);
  const model::RawState& state_;
  std::string prefix_, source_;
  std::set<std::string> used_;
};

struct ConvBlock {
  int in = 0, out = 0;
  bool pool_after = false;           // a 2x max pooling (floor of each size halved) after the ReLU
  std::vector<float> weight, bias;   // folded: [out][in][3][3] and [out]
};

// Conv2d(in, out, 3, padding 1) under `conv` (with "bias" when conv_bias) and BatchNorm2d (eps
// 1e-5) under `bn`, folded as model::FoldedConv::fold: w' = w g / sqrt(var + eps),
// b' = (b - mean) g / sqrt(var + eps) + beta, in float.
ConvBlock fold_conv_bn(StateTaker& take, const std::string& conv, const std::string& bn, int in, int out,
                       bool conv_bias, bool pool_after);

struct Planes {  // one image of C channels, row-major [C][H][W]
  std::vector<float> data;
  int64_t channels = 0, height = 0, width = 0;
};
struct PlanesView {
  const float* data;
  int64_t channels, height, width;
};

// The blocks in order on one image (convolution + ReLU, then pooling where asked). `who` names
// the network in errors: wrong channel count, too small for its poolings.
Planes run_conv_trunk(const std::vector<ConvBlock>& blocks, PlanesView x, const std::string& who);

}  // namespace murmur::infer
