// Prediction with a seed-preset model without LibTorch: what pipeline::Predictor does for the
// reference's own checkpoint (seed_model.pth), murmur's seed checkpoints and cv run folders of
// them, on infer::SeedEngine. `murmur predict` uses it, so that classifying recordings the
// reference's way never loads LibTorch (~0.45 s of every process that does).
//
//   if (auto p = SeedPredictor::open("seed_model.pth")) {   // or a cv run folder (fold ensemble)
//     std::vector<float> probs = p->predict_file("a.wav");   // [K]; a .png: the reference's picture
//     p->class_names(); p->fuse_patient({probs_a, probs_b});  // patients: the mean
//   }
//
// A recording: at 22,050 Hz, log-mel, the reference's picture (features/seed_image.h, drawn on
// the calling thread's OpenMP team, util::openmp_threads) and, with eval.views = 2, its twin;
// each view's softmax, their mean, then the model's temperature; the models' mean. open() returns
// nothing (saying why in *why_not) for a model it does not run: another preset, or a setting it
// does not know. Answers equal Predictor's within 1e-5 (tests/seed_engine_test.cpp).
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "audio/audio.h"
#include "eval/fusion.h"
#include "features/log_mel.h"
#include "features/seed_image.h"
#include "infer/seed_engine.h"

namespace murmur::infer {

class SeedPredictor {
 public:
  static std::optional<SeedPredictor> open(const std::string& path, std::string* why_not = nullptr);

  std::vector<float> predict_file(const std::string& path) const;     // a recording, or a picture (.png)
  std::vector<float> predict_audio(const audio::Audio& audio) const;  // audio at any rate
  std::vector<float> predict_picture(const features::Image& picture) const;  // the reference's PNG
  std::vector<float> fuse_patient(const std::vector<std::vector<float>>& recording_probs) const;

  const std::vector<std::string>& class_names() const { return class_names_; }
  eval::Fusion patient_fusion() const { return eval::Fusion::kMean; }  // Preset's default
  size_t n_models() const { return models_.size(); }
  int eval_views() const { return eval_views_; }
  const audio::LoadConfig& audio_config() const { return audio_; }
  // As Predictor::info: models (path, epoch, provenance), the preset as stored (the reference's
  // checkpoint: {"name": "seed"}), classes, n_models, patient_fusion.
  const nlohmann::json& info() const { return info_; }

 private:
  struct Model {
    std::shared_ptr<const SeedEngine> net;
    double temperature = 1.0;
  };
  // Normalised views [3][s][s] (s = image.input_size_px): the models' mean answer.
  std::vector<float> probs_of(const std::vector<std::vector<float>>& inputs) const;

  nlohmann::json feature_key_;  // what decides the pictures; equal for every model
  audio::LoadConfig audio_;
  features::LogMelConfig log_mel_;
  features::SeedImageConfig image_;
  int eval_views_ = 1;
  std::vector<Model> models_;
  std::vector<std::string> class_names_;
  nlohmann::json info_;
};

}  // namespace murmur::infer
