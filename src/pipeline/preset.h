// A preset: one pipeline from a recording to class probabilities, with every stage's config.
// Checkpoints and reports store its JSON, so `predict` preprocesses as `train` did. A new preset
// is one file (a subclass) and one line in registry.cpp.
//
//   PresetPtr p = make_preset("native");              // registry.h; or preset_from_json(j)
//   torch::Tensor stored = p->features(audio);        // what the feature cache keeps
//   Model m = Model::fresh(p);                        // model.h: its network, initial weights
//   torch::Tensor probs = m.recording_probs(stored);  // [K]
//
// Stages: audio -> features -> train_views + augment, or (answer_features) recording_probs
// (views fused, temperature) -> patient_fusion (eval/fusion.h).
#pragma once

#include <torch/torch.h>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "audio/audio.h"
#include "data/recording.h"
#include "eval/fusion.h"
#include "features/log_mel.h"
#include "features/png.h"
#include "pipeline/occlusion.h"
#include "train/trainer.h"

namespace murmur::pipeline {

// A preset's network: its module (PyTorch's state-dict keys), batch forward and auxiliary loss.
struct Network {
  std::shared_ptr<torch::nn::Module> module;
  train::Forward forward;   // batch -> logits [B, K]
  train::AuxLoss aux_loss;  // of the last training forward, added by train::fit (empty: none)
};

class Preset {
 public:
  virtual ~Preset() = default;
  // The stages every preset has; their JSON sections are "audio", "log_mel" and "train".
  audio::LoadConfig audio;
  features::LogMelConfig log_mel;
  train::TrainConfig train;

  virtual std::string name() const = 0;
  virtual std::unique_ptr<Preset> clone() const = 0;
  nlohmann::json to_json() const;              // {"name", "audio", "log_mel", "train", own sections}
  void from_json(const nlohmann::json& j);     // sections present in j replace the defaults
  void validate() const;                       // murmur::Error naming the --set key
  virtual nlohmann::json feature_json() const = 0;  // all that decides features() (cache key)

  virtual torch::Tensor features(const audio::Audio& audio_at_rate) const = 0;  // at audio.target_rate_hz
  virtual torch::Tensor answer_features(const audio::Audio& a) const { return features(a); }  // less unread views
  // Training examples of one stored recording before augmentation: [V, ...], cut from training_input
  // (default: stored; may add what annotations teach, e.g. native.cycle_weight's state channel).
  virtual torch::Tensor train_views(const torch::Tensor& stored) const = 0;
  virtual torch::Tensor training_input(const torch::Tensor& stored, const data::Recording&) const { return stored; }
  virtual torch::Tensor augment(const torch::Tensor& batch) const = 0;  // a training batch
  virtual int examples_per_recording() const { return 1; }  // copies of train_views per epoch
  virtual bool trains_on_multi_disease() const { return false; }  // MD patients as soft targets
  virtual bool trains_on(const data::Recording&) const { return true; }  // in training/validation sets
  virtual double source_balance() const { return 0; }      // experiment::balanced_copies' power
  virtual bool balances_labels() const { return false; }  // and normal / abnormal within each source

  // Outputs: a softmax over data::kClassNames, or one sigmoid per label (multi_label, thresholds).
  virtual std::vector<std::string> output_names() const;
  virtual bool multi_label() const { return false; }
  virtual std::vector<float> thresholds() const { return {}; }   // [K] for multi-label presets
  virtual void set_thresholds(const std::vector<float>& t);       // murmur::Error unless multi-label
  virtual bool calibrates() const { return false; }  // a temperature fitted on validation (model.h)
  double temperature = 1.0;
  virtual Network make_network() const = 0;
  virtual Network for_inference(Network net) const { return net; }  // e.g. BatchNorm folded
  // Probabilities [K] of one recording (eval mode, no grad): all its views, fused.
  virtual torch::Tensor recording_probs(const Network& net, const torch::Tensor& stored) const = 0;
  // recording_probs of each (serve's micro-batches): one by one, or one pass per equal shape.
  virtual std::vector<torch::Tensor> batch_probs(const Network& net, const std::vector<torch::Tensor>& stored) const;
  virtual eval::Fusion patient_fusion() const { return eval::Fusion::kMean; }

  // The features as a picture for people (web page): default float [.., F, T], viridis.
  virtual features::Image feature_picture(const torch::Tensor& stored, int row_px = 4) const;
  // A picture file as model input [1, ...] (picture presets); others refuse it.
  virtual torch::Tensor picture_input(const features::Image& picture, const std::string& source) const;
  // Explanations (explain.h): `stored` masked as occlusion.h says; murmur::Error unless occludable().
  using Occlusion = pipeline::Occlusion;
  virtual torch::Tensor occluded(const torch::Tensor& stored, const Occlusion& o) const;
  virtual bool occludable() const { return false; }  // no: features without time and frequency axes

 protected:
  virtual nlohmann::json own_json() const = 0;          // the preset's own sections
  virtual void own_from_json(const nlohmann::json& j) = 0;
  virtual void validate_own() const = 0;
  void check_rate(const audio::Audio& a) const;  // murmur::Error unless at audio.target_rate_hz
};

using PresetPtr = std::shared_ptr<const Preset>;

// Eval mode unless it is already: predict's worker threads then only read the modules' flags.
inline void ensure_eval(torch::nn::Module& module) { if (module.is_training()) module.eval(); }

}  // namespace murmur::pipeline
