// Presets: a named bundle of every stage's config, saved inside each checkpoint so that
// `predict` preprocesses exactly as `train` did.
//
//   Preset p = Preset::named("native");                 // or "seed" (the reference's design)
//   torch::Tensor stored = p.features(audio);           // what the feature cache keeps per recording
//   torch::Tensor x = p.eval_views(stored);             // model inputs for one recording
//   Classifier net = make_classifier(p);                // SeedCnn or NativeNet
//   torch::Tensor probs = net.recording_probs(stored);  // [K]: mean over the recording's views
//
// seed   4 kHz -> 22,050 Hz, log-mel 30 bands 20-1000 Hz, per-file crop, viridis picture,
//        224x224 RGB. Stored: uint8 [2, 224, 224, 3] (the picture and its time-reversed twin).
//        Views: both, ImageNet-normalised; the recording's probabilities are their mean.
// native the file's own rate resampled to 4 kHz (down, or up for 2-4 kHz stethoscopes), log-mel
//        on a fixed axis (fixed dB reference, no per-file crop), per-recording standardisation.
//        Stored: float [1, n_mels, frames]. Training views: random windows with SpecAugment
//        masks and time reversal; evaluation: every window (one trunk pass), mean probability.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "audio/audio.h"
#include "features/log_mel.h"
#include "features/seed_image.h"
#include "model/native_net.h"
#include "train/trainer.h"

namespace murmur::model {

struct NativeFeatureConfig {
  double window_s = 4.0;            // training crops and evaluation windows (several cardiac cycles)
  double window_hop_s = 1.0;        // evaluation windows every hop
  bool standardize = true;          // per-recording mean/std normalisation of the dB matrix
  // Training augmentation (each ingredient can be switched off for the ablation).
  bool time_reverse = true;         // p = 0.5
  int freq_masks = 2, freq_mask_bins = 4;       // SpecAugment frequency masks
  int time_masks = 2, time_mask_frames = 12;    // SpecAugment time masks
  double gain_db = 0;               // random gain (a no-op under standardisation; kept for ablation)
  double train_s = 20.0;            // training uses (up to) this much of each recording
  int crops_per_epoch = 4;          // random windows drawn from each training recording per epoch
  bool md_training = true;          // multi-disease patients as extra training data (soft targets; never tested)
  void validate() const;
};

void to_json(nlohmann::json& j, const NativeFeatureConfig& c);
void from_json(const nlohmann::json& j, NativeFeatureConfig& c);

struct Preset {
  std::string name;                 // "seed" or "native"
  audio::LoadConfig audio;
  features::LogMelConfig log_mel;
  features::SeedImageConfig image;  // seed only
  NativeFeatureConfig native;       // native only
  NativeNetConfig net;              // native only
  train::TrainConfig train;

  static Preset named(const std::string& name);   // throws murmur::Error for unknown names
  static const std::vector<std::string>& names(); // {"native", "seed"}
  void validate() const;

  // Everything that decides the stored features (the feature cache's key).
  nlohmann::json feature_json() const;

  // The per-recording representation the cache stores (see the table above).
  torch::Tensor features(const audio::Audio& audio) const;
  // Training examples of one stored recording, before augmentation: [V, ...] (seed: the picture
  // and its reversed twin as uint8 [V, 3, H, W], normalised batch by batch by the classifier's
  // forward; native: the recording cut or zero-padded to train_frames).
  torch::Tensor train_views(const torch::Tensor& stored) const;
  // Model inputs of one recording for evaluation: [V, ...].
  torch::Tensor eval_views(const torch::Tensor& stored) const;
  // The training transform of a batch of train_views (seed: horizontal flip p = 0.3; native:
  // random windows, time reversal, SpecAugment masks, gain).
  torch::Tensor augment(const torch::Tensor& batch) const;
  int frames_per_window() const;    // native: window_s in feature frames
  int train_frames() const;         // native: recordings are cut or padded to this for training
  int examples_per_recording() const;  // training examples per recording per epoch (native: crops_per_epoch)
};

void to_json(nlohmann::json& j, const Preset& p);
void from_json(const nlohmann::json& j, Preset& p);

// Applies "section.field=value" overrides (value parsed as JSON, else taken as a string), e.g.
// "native.time_reverse=false", "train.epochs=20", "log_mel.n_mels=48"; validates the result.
Preset with_overrides(const Preset& p, const std::vector<std::string>& overrides);

// A model of either preset behind one interface.
struct Classifier {
  Preset preset;
  std::shared_ptr<torch::nn::Module> module;   // SeedCnn or NativeNet (state dict = PyTorch keys)
  train::Forward forward;                       // batch -> logits
  // Probabilities [K] of one recording from its stored features (eval mode, no grad).
  torch::Tensor recording_probs(const torch::Tensor& stored) const;
};

Classifier make_classifier(const Preset& preset);

// uint8 RGB pictures [N, 3, H, W] -> the seed network's input: /255, then ImageNet mean/std
// (torchvision ToTensor + Normalize). Float input is returned as it is (already normalised).
torch::Tensor normalise_seed(const torch::Tensor& rgb, const features::SeedImageConfig& c);

}  // namespace murmur::model
