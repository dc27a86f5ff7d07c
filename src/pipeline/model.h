// A preset with one network: what training makes and prediction uses.
//
//   torch::manual_seed(seed);                       // initial weights follow torch's generator
//   Model m = Model::fresh(make_preset("native"));
//   model::load_into(*m.net.module, checkpoint.state_dict);
//   torch::Tensor probs = m.recording_probs(m.preset->features(audio));   // [K]
#pragma once

#include "pipeline/preset.h"
#include "util/number_text.h"

namespace murmur::pipeline {

struct Model {
  PresetPtr preset;
  Network net;
  static Model fresh(PresetPtr preset);  // initial weights follow torch's generator
  // The preset's probabilities, calibrated by its temperature (Preset::temperature) when fitted:
  // p^(1/T), renormalised (every argmax kept); in the preset's JSON "calibration": {"temperature"}.
  // Probabilities under util::kProbabilityFloor (subnormal floats: arithmetic noise) become 0.
  torch::Tensor recording_probs(const torch::Tensor& stored) const {
    return calibrated(preset->recording_probs(net, stored));
  }
  std::vector<torch::Tensor> batch_probs(const std::vector<torch::Tensor>& stored) const {  // the same, batched
    auto out = preset->batch_probs(net, stored);
    for (auto& p : out) p = calibrated(p);
    return out;
  }
  torch::Tensor calibrated(const torch::Tensor& p) const {
    torch::Tensor q = preset->temperature == 1.0
                          ? p
                          : torch::softmax(torch::log(p.clamp_min(1e-12)) / preset->temperature, -1).to(p.dtype());
    return q.masked_fill(q < util::kProbabilityFloor, 0.0);
  }
};

}  // namespace murmur::pipeline
