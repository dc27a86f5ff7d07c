// Presets `efficientat` (five classes, as `native`), `efficientat-valves` (one sigmoid per
// valve disease, as `valves`) and `efficientat-pooled` (every source's labels, as `pooled`):
// EfficientAT's AudioSet encoder (model/efficientat.h) fine-tuned on heart sounds.
//
//   murmur cv --preset efficientat --data ../shared/data/bmd-hs       # starts from the published weights
//   murmur cv --preset efficientat --data ... --set train.init= --set train.freeze_epochs=0  # from scratch
//
// Features: the recording resampled to 32 kHz and the encoder's own frontend as it was trained
// (128 Kaldi mel bands 0-15 kHz, 10 ms frames, log, (x + 4.5) / 5); no per-recording
// standardisation. efficientat.keep_bands = 56 keeps the bands up to 2 kHz only, where a heart
// sound recorded at 4 kHz has all its energy: the network then does 44% of the work. Network: the encoder with its MLP head ending in this preset's outputs.
// train.init (default ../shared/models/efficientat_mn04_as.pt, relative to the working folder)
// supplies every weight but the last layer's; the encoder ("features.") is frozen for the first
// train.freeze_epochs, then learns at train.lr * train.unfreeze_lr_scale while the head keeps
// train.lr. Training and evaluation as the native pipeline: random 4 s windows, time reversal,
// SpecAugment masks, multi-disease patients; every 4 s window (1 s hop) from one encoder pass
// (windows pooled on its feature map, 32 frames per step), mean probability.
// Not available here: robust.* augmentation and native.phase_channels (one input channel).
#pragma once

#include "model/efficientat.h"
#include "pipeline/pooled.h"

namespace murmur::pipeline {

inline constexpr const char* kEfficientAtWeights = "../shared/models/efficientat_mn04_as.pt";

// Base: NativePreset (softmax over the five classes), ValvesPreset (a sigmoid per valve) or
// PooledPreset (those and "abnormal", "murmur", each where a recording's source says).
template <class Base>
class EfficientAtPreset : public Base {
 public:
  EfficientAtPreset();
  model::EfficientAtConfig encoder;  // section "efficientat"; n_classes follows the outputs
  model::EfficientAtMelConfig frontend;  // as trained; only keep_bands is a setting ("efficientat")

  std::string name() const override;
  std::unique_ptr<Preset> clone() const override { return std::make_unique<EfficientAtPreset>(*this); }
  nlohmann::json feature_json() const override;
  torch::Tensor features(const audio::Audio& audio_at_rate) const override;  // [1, bands, frames]
  Network make_network() const override;
  Network for_inference(Network net) const override { return net; }
  std::vector<double> band_peak_hz() const override;  // where each Kaldi triangle peaks

 protected:
  torch::Tensor window_logits(const Network& net, const torch::Tensor& batch) const override;
  // Masked cells take the recording's mean level (these features are not standardised).
  float occlusion_level(const torch::Tensor& mel) const override { return mel.mean().item<float>(); }
  nlohmann::json own_json() const override;
  void own_from_json(const nlohmann::json& j) override;
  void validate_own() const override;
};

using EfficientAtClassesPreset = EfficientAtPreset<NativePreset>;
using EfficientAtValvesPreset = EfficientAtPreset<ValvesPreset>;
using EfficientAtPooledPreset = EfficientAtPreset<PooledPreset>;

// Window logits [B, W, K] of recordings x [B, 1, bands, T] from one encoder pass: the feature map
// averaged over frequency, then over each window of window_frames input frames every hop_frames
// (in steps of the encoder's 32-frame stride), then the head. Shorter than a window: one window.
torch::Tensor efficientat_window_logits(model::EfficientAtImpl& net, const torch::Tensor& x, int window_frames,
                                        int hop_frames);

}  // namespace murmur::pipeline
