// Prediction with a native-family model (presets native, valves, pooled) without LibTorch: what
// pipeline::Predictor does for these models, on infer::NativeEngine. `murmur predict` uses it,
// so that a process classifying a recording never loads LibTorch (~0.55 s of start-up).
//
//   if (auto p = NativePredictor::open("model.pth")) {     // or a cv run folder (fold ensemble)
//     std::vector<float> probs = p->predict_file("a.wav");  // [K], as Predictor::predict_file
//     p->class_names(); p->thresholds(); p->fuse_patient({probs_a, probs_b});
//     auto in = p->input_of(a);                              // features once, then:
//     p->predict_input(in); p->explain(a, &in); p->feature_picture(in);
//   }
//
// open() returns nothing (and says why in *why_not) for any model it does not run: another
// preset, the reference's checkpoint, a preset setting it does not know; those go to LibTorch.
// Answers equal Predictor's within 1e-5 (tests/native_engine_test.cpp).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "audio/audio.h"
#include "eval/fusion.h"
#include "features/log_mel.h"
#include "features/png.h"
#include "infer/native_engine.h"
#include "pipeline/explanation.h"
#include "pipeline/native_config.h"

namespace murmur::infer {

class NativePredictor {
 public:
  // A murmur checkpoint, an ensemble file or a cv run folder (every model.pth inside).
  // Errors reading a file it would run are thrown (murmur::Error naming it).
  static std::optional<NativePredictor> open(const std::string& path, std::string* why_not = nullptr);

  std::vector<float> predict_file(const std::string& path) const;      // [K]
  std::vector<float> predict_audio(const audio::Audio& audio) const;   // audio at any rate
  std::vector<float> fuse_patient(const std::vector<std::vector<float>>& recording_probs) const;

  // The network's input for audio at any rate (resampled first), and its probabilities [K].
  struct Input { std::vector<float> x; int frames = 0; };  // [C][n_mels][frames]
  Input input_of(const audio::Audio& audio) const;
  std::vector<float> predict_input(const Input& in) const;
  // pipeline::explain's answer on this engine (`in`: input_of(audio) if the caller has it).
  pipeline::Explanation explain(const audio::Audio& audio, const Input* in = nullptr,
                                const pipeline::ExplainConfig& cfg = {}, const std::string& name = "recording") const;
  features::Image feature_picture(const Input& in) const;  // as Preset::feature_picture
  // As Predictor::info: models (path, epoch, provenance), the preset as stored, classes, fusion.
  const nlohmann::json& info() const { return info_; }

  // A preset this runs: its name, outputs by default, how they are read and patients fused.
  struct Kind {
    const char* preset;
    int outputs;
    bool multi_label;  // one sigmoid per output (thresholds), or one softmax
    eval::Fusion fusion;
  };

  std::string preset_name() const { return kind_->preset; }
  const std::vector<std::string>& class_names() const { return class_names_; }
  std::vector<float> thresholds() const { return thresholds_; }  // multi-label: the models' mean
  eval::Fusion patient_fusion() const { return kind_->fusion; }
  size_t n_models() const { return models_.size(); }
  const audio::LoadConfig& audio_config() const { return audio_; }

 private:
  struct Model {
    std::shared_ptr<const NativeEngine> net;
    double temperature = 1.0;
    std::vector<float> thresholds;  // multi-label presets
  };
  std::vector<float> probs_of(const std::vector<float>& x, int frames) const;  // mean over models
  std::vector<float> features(const audio::Audio& audio_at_rate, int* frames) const;

  const Kind* kind_ = nullptr;
  nlohmann::json feature_key_;  // what decides the features; equal for every model
  audio::LoadConfig audio_;
  features::LogMelConfig log_mel_;
  pipeline::NativeFeatureConfig native_;
  std::vector<Model> models_;
  std::vector<std::string> class_names_;
  std::vector<float> thresholds_;
  std::vector<double> band_hz_;  // each mel band's frequency, for occlusions
  nlohmann::json info_;
};

}  // namespace murmur::infer
