// Preset `valves`: which valves are diseased? The native pipeline (front end, trunk, windows) with
// one sigmoid per valve disease (AR, AS, MR, MS; normal = none), trained on every labelled
// patient, multi-disease ones included.
//
//   auto p = make_preset("valves");                       // registry.h
//   Model m = Model::fresh(std::move(p));                 // NativeNet with 4 outputs
//   torch::Tensor p4 = m.recording_probs(stored);         // [4] independent probabilities
//   bool as_suspected = p4[1].item<float>() >= m.preset->thresholds()[1];
//
// Loss: binary cross-entropy with each disease's positives weighted n_neg / n_pos (trainer.h).
// A recording's probability is the mean of its 4 s windows' sigmoids; a patient's the mean of its
// recordings'. Thresholds (section "valves") are chosen per disease on the validation patients
// after training (Youden's J at patient level) and travel with the checkpoint; 0.5 until then.
#pragma once

#include "pipeline/native.h"

namespace murmur::pipeline {

struct ValvesDecisionConfig {
  std::vector<float> thresholds{0.5f, 0.5f, 0.5f, 0.5f};  // per output, in output_names() order
  std::string thresholds_from = "default";                 // or "validation patients"
  void validate(const std::string& section, const std::vector<std::string>& outputs) const;  // one per output
};

class ValvesPreset : public NativePreset {
 public:
  ValvesPreset();
  ValvesDecisionConfig valves;

  std::string name() const override { return "valves"; }
  std::unique_ptr<Preset> clone() const override { return std::make_unique<ValvesPreset>(*this); }
  nlohmann::json feature_json() const override;  // the native preset's: one feature cache for both
  bool trains_on_multi_disease() const override { return false; }  // they are in the main set
  // native.md_training = false (an ablation): multi-disease patients are only tested, never trained on.
  bool trains_on(const data::Recording& r) const override { return native.md_training || r.file_class != "MD"; }
  std::vector<std::string> output_names() const override;
  bool multi_label() const override { return true; }
  std::vector<float> thresholds() const override { return valves.thresholds; }
  void set_thresholds(const std::vector<float>& t) override;
  eval::Fusion patient_fusion() const override { return eval::Fusion::kMean; }

 protected:
  nlohmann::json own_json() const override;
  void own_from_json(const nlohmann::json& j) override;
  void validate_own() const override;
  torch::Tensor from_windows(const torch::Tensor& window_logits) const override;  // sigmoid: independent outputs
};

}  // namespace murmur::pipeline
