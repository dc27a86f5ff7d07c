// NativeNet (model/native_net.h) for inference without LibTorch: each BatchNorm folded into its
// convolution, the trunk run by oneDNN directly (convolution with the ReLU fused, max pooling),
// the windows' pooling and the linear head in plain loops. Weights come from murmur's own
// checkpoint reader (model/saved.h) under NativeNet's state-dict keys.
//
//   model::SavedCheckpoint ck = model::read_saved_checkpoint("model.pth");
//   infer::NativeEngine net(ck.state, net_config, /*prefix=*/"", "model.pth");
//   auto logits = net.window_logits(x, frames, 125, 31);   // x: [C][n_mels][frames], row-major
//   logits.size()                                          // windows; each [n_classes]
//
// Answers agree with LibTorch's NativeNet (which also runs its trunk in oneDNN after folding,
// model/folded_conv.h) to float rounding: tests/native_engine_test.cpp holds them within 1e-5.
#pragma once

#include <string>
#include <vector>

#include "infer/conv_trunk.h"
#include "model/native_net_config.h"
#include "model/saved.h"

namespace murmur::infer {

class NativeEngine {
 public:
  // The weights under `prefix` (an ensemble member's "member<k>."). Strict like load_into:
  // murmur::Error starting with `source` for a missing key, one left over, or a wrong shape.
  NativeEngine(const model::RawState& state, const model::NativeNetConfig& cfg, const std::string& prefix,
               const std::string& source);

  // Logits of every window of `window_frames` input frames every `hop_frames` (NativeNet's
  // batch_window_logits for one recording): one trunk pass, windows pooled on its output.
  // x holds in_channels x n_mels x frames floats. Thread-safe (no state changes).
  std::vector<std::vector<float>> window_logits(const std::vector<float>& x, int n_mels, int frames,
                                                int window_frames, int hop_frames) const;

  int in_channels() const { return cfg_.in_channels; }
  int n_outputs() const { return cfg_.n_classes; }

 private:
  model::NativeNetConfig cfg_;
  std::vector<ConvBlock> convs_;        // the four blocks; the first three max-pool 2x after
  std::vector<float> head_w_, head_b_;  // [K][C], [K]
};

// The threads oneDNN may use for primitives run from the calling thread (OpenMP's, per thread).
void set_engine_threads(int n);

}  // namespace murmur::infer
