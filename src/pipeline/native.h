// Preset `native`: murmur's pipeline for heart sounds (docs/RESULTS.md, section 3).
//
//   auto p = std::make_unique<NativePreset>();      // or make_preset("native")
//   p->native.window_s = 3.0;                       // --set native.window_s=3
//   torch::Tensor stored = p->features(audio_4khz); // [1 or 3, n_mels, frames], standardised
//
// The file's own rate resampled to 4 kHz (down, or up for 2-4 kHz stethoscopes); log-mel on one
// fixed axis for every recording (32 bands 25-800 Hz, fixed dB reference, no per-file crop);
// per-recording standardisation (native.centre_bands: each band's mean removed first).
// Training: random 4 s windows (several per recording per epoch), time reversal, SpecAugment
// masks (augment.h); the multi-disease patients as soft targets.
// Optional (robust.*): random stethoscope responses, noise and distortion on each training
// recording before its windows are cut (robust.h).
// Optional (native.phase_channels): two more channels marking systolic and diastolic frames.
// Optional (native.cycle_weight): a frame-level head learns the annotated heart-cycle states of
// the recordings that have them (an auxiliary loss in training; inference does not use it).
// Evaluation: every 4 s window (1 s hop) from one trunk pass of NativeNet, mean probability;
// patients: normalised geometric mean of their recordings (chosen on development folds).
#pragma once

#include "model/native_net.h"
#include "pipeline/native_config.h"
#include "pipeline/preset.h"
#include "pipeline/robust.h"

namespace murmur::pipeline {

class NativePreset : public Preset {
 public:
  NativePreset();  // the shipped defaults
  NativeFeatureConfig native;
  model::NativeNetConfig net;
  RobustConfig robust;  // robustness training (robust.h); off unless set

  std::string name() const override { return "native"; }
  std::unique_ptr<Preset> clone() const override { return std::make_unique<NativePreset>(*this); }
  nlohmann::json feature_json() const override;
  torch::Tensor features(const audio::Audio& audio_at_rate) const override;
  torch::Tensor train_views(const torch::Tensor& stored) const override;
  // native.cycle_weight > 0: the recording's annotated heart-cycle states as one more channel.
  torch::Tensor training_input(const torch::Tensor& stored, const data::Recording& r) const override;
  torch::Tensor augment(const torch::Tensor& batch) const override;
  int examples_per_recording() const override { return native.crops_per_epoch; }
  bool trains_on_multi_disease() const override { return native.md_training; }
  Network make_network() const override;
  Network for_inference(Network net) const override;  // BatchNorm folded, trunk in oneDNN
  torch::Tensor recording_probs(const Network& net, const torch::Tensor& stored) const override;
  // One trunk pass per group of equal shape (the windows are pooled per recording after it).
  std::vector<torch::Tensor> batch_probs(const Network& net, const std::vector<torch::Tensor>& stored) const override;
  eval::Fusion patient_fusion() const override { return eval::Fusion::kGeometric; }
  // Channel 0's masked frames and bands := occlusion_level (each band at band_peak_hz).
  torch::Tensor occluded(const torch::Tensor& stored, const Occlusion& o) const override;
  bool occludable() const override { return true; }
  bool calibrates() const override { return !multi_label(); }  // valves (a subclass) does not
  virtual std::vector<double> band_peak_hz() const;  // each mel band's frequency: its filter's peak

  int frames_per_window() const;    // window_s in feature frames
  int hop_frames() const;           // window_hop_s in feature frames
  int train_frames() const;         // training recordings are cut or filled up to this
  int input_channels() const { return native.phase_channels ? 3 : 1; }

 protected:
  nlohmann::json own_json() const override { return {{"native", native}, {"net", net}, {"robust", robust}}; }
  void own_from_json(const nlohmann::json& j) override;
  void validate_own() const override;
  // Window logits [B, W, K] of recordings of one shape [B, C, F, T] (NativeNet pools its windows).
  virtual torch::Tensor window_logits(const Network& net, const torch::Tensor& batch) const;
  // Window logits [B, W, K] -> the recordings' probabilities [B, K]: softmax, mean over windows.
  virtual torch::Tensor from_windows(const torch::Tensor& window_logits) const;
  // What a masked cell becomes: 0, the recording's mean level after standardisation.
  virtual float occlusion_level(const torch::Tensor& /*mel*/) const { return 0.f; }
};

}  // namespace murmur::pipeline
