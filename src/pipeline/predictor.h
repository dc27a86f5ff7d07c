// The one inference path (predict, evaluate, stream, serve): a trained model, the reference's
// checkpoint, or a cv run folder (the mean of its fold models), applied to files, audio or
// stored features; patients fused by the preset's rule.
//
//   Predictor p = Predictor::open("runs/native");        // or "model.pth", "seed_model.pth"
//   torch::Tensor probs = p.predict_file("a.wav");        // [K]; a .png with a seed model
//   auto patient = p.fuse_patient({probs_a, probs_b});    // the preset's patient fusion
//   nlohmann::json j = answer_json(p.class_names(), probs, p.thresholds());  // {"class", "probabilities", ...}
#pragma once

#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pipeline/answer.h"
#include "pipeline/model.h"

namespace murmur::pipeline {

class Predictor {
 public:
  // murmur::Error naming the file on failure. eval_overrides: "eval.field=value" settings that
  // change only how a trained model is applied (e.g. the seed preset's eval.views=2), as --set.
  static Predictor open(const std::string& path, const std::vector<std::string>& eval_overrides = {});

  torch::Tensor predict_file(const std::string& path) const;       // [K]
  torch::Tensor predict_audio(const audio::Audio& audio) const;    // audio at any rate
  torch::Tensor predict_stored(const torch::Tensor& stored) const; // features() output
  // The same for several recordings at once (serve's micro-batches; Preset::batch_probs).
  std::vector<torch::Tensor> predict_stored_batch(const std::vector<torch::Tensor>& stored) const;
  torch::Tensor features_of(const audio::Audio& audio) const;      // resampled, then answer_features()
  std::vector<float> fuse_patient(const std::vector<torch::Tensor>& recording_probs) const;

  const Preset& preset() const { return *models_.front().preset; }
  const std::vector<std::string>& class_names() const { return class_names_; }
  // Multi-label models: each output's operating threshold (a cv folder: the mean over its folds'); else empty.
  std::vector<float> thresholds() const;
  size_t n_models() const { return models_.size(); }
  const nlohmann::json& info() const { return info_; }  // models, provenance, preset config

 private:
  torch::Tensor mean_over_models(const std::function<torch::Tensor(const Model&)>& probs) const;
  std::vector<Model> models_;
  std::vector<std::string> class_names_;
  nlohmann::json info_;
};

// answer_json (answer.h) of a probability tensor [K].
nlohmann::json answer_json(const std::vector<std::string>& class_names, const torch::Tensor& probs,
                           const std::vector<float>& thresholds = {});

}  // namespace murmur::pipeline
