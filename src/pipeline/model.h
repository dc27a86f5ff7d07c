// A preset with one network: what training makes and prediction uses.
//
//   torch::manual_seed(seed);                       // initial weights follow torch's generator
//   Model m = Model::fresh(make_preset("native"));
//   model::load_into(*m.net.module, checkpoint.state_dict);
//   torch::Tensor probs = m.recording_probs(m.preset->features(audio));   // [K]
#pragma once

#include "pipeline/preset.h"

namespace murmur::pipeline {

struct Model {
  PresetPtr preset;
  Network net;
  static Model fresh(PresetPtr preset);  // initial weights follow torch's generator
  torch::Tensor recording_probs(const torch::Tensor& stored) const {
    return preset->recording_probs(net, stored);
  }
};

}  // namespace murmur::pipeline
