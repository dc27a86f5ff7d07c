// Preset `seed`: the reference project's design, reproduced exactly (docs/RESULTS.md, section 1).
//
//   SeedPreset p;                                       // or make_preset("seed")
//   features::Image png = p.picture(audio_22khz);       // its 1500x600 spectrogram picture
//   torch::Tensor stored = p.features(audio_22khz);     // uint8 [2, 224, 224, 3]: picture + twin
//
// 4 kHz -> 22,050 Hz (librosa.load's default), log-mel 30 bands 20-1000 Hz with the reference's
// per-file crop, matplotlib-exact viridis picture, 224x224 RGB. Stored: the picture and its
// time-reversed twin as bytes. Training: both, horizontal flip p = 0.3, normalised batch by batch
// by the network's forward; evaluation: the picture alone, as the reference evaluated
// (`--set eval.views=2`: the mean probability of picture and twin); patients: mean. predict and
// serve compute only the views evaluated (answer_features), the picture's rows on LibTorch's threads.
// SeedCnn (430,853 parameters); inference folds BatchNorm into the convolutions.
#pragma once

#include "features/seed_image.h"
#include "pipeline/preset.h"

namespace murmur::pipeline {

class SeedPreset : public Preset {
 public:
  SeedPreset();  // the reference's recipe
  features::SeedImageConfig image;
  int eval_views = 1;  // "eval.views": 1 the picture (the reference's), 2 also its twin (mean)

  // The reference's spectrogram picture of a recording at audio.target_rate_hz.
  features::Image picture(const audio::Audio& audio_at_rate) const;

  std::string name() const override { return "seed"; }
  std::unique_ptr<Preset> clone() const override { return std::make_unique<SeedPreset>(*this); }
  nlohmann::json feature_json() const override;
  torch::Tensor features(const audio::Audio& audio_at_rate) const override;
  torch::Tensor answer_features(const audio::Audio& audio_at_rate) const override;  // eval_views views
  torch::Tensor train_views(const torch::Tensor& stored) const override;
  torch::Tensor augment(const torch::Tensor& batch) const override;
  Network make_network() const override;
  Network for_inference(Network net) const override;
  torch::Tensor recording_probs(const Network& net, const torch::Tensor& stored) const override;
  features::Image feature_picture(const torch::Tensor& stored, int row_px = 4) const override;
  torch::Tensor picture_input(const features::Image& picture, const std::string& source) const override;

 protected:
  nlohmann::json own_json() const override { return {{"image", image}, {"eval", {{"views", eval_views}}}}; }
  void own_from_json(const nlohmann::json& j) override;
  void validate_own() const override;
};

// uint8 RGB pictures [N, 3, H, W] -> the network's input: /255, then ImageNet mean/std
// (torchvision ToTensor + Normalize). Float input is returned as it is (already normalised).
torch::Tensor normalise_seed(const torch::Tensor& rgb, const features::SeedImageConfig& c);

}  // namespace murmur::pipeline
