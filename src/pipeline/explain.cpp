#include "pipeline/explain.h"

#include "util/error.h"

namespace murmur::pipeline {

std::vector<double> probabilities(const torch::Tensor& probs) {
  const auto d = probs.to(torch::kDouble).contiguous();
  return {d.data_ptr<double>(), d.data_ptr<double>() + d.numel()};
}

Explanation explain(const Predictor& p, const audio::Audio& a, const ExplainConfig& cfg, const std::string& name) {
  return explain_stored(p, a, torch::Tensor(), cfg, name);  // features after the segmenter's checks
}

Explanation explain_stored(const Predictor& p, const audio::Audio& a, const torch::Tensor& stored,
                           const ExplainConfig& cfg, const std::string& name) {
  cfg.validate();
  const Preset& preset = p.preset();
  if (!preset.occludable())
    throw Error(name + ": preset " + preset.name() + " cannot be explained by occlusion: its features have no time "
                "and frequency axes of their own (presets native and valves can)");
  torch::Tensor x = stored;  // computed at the first call: after the segmenter has checked the audio
  auto probs_of = [&](const Occlusion* o) {
    if (!x.defined()) x = p.features_of(a);
    return probabilities(p.predict_stored(o ? preset.occluded(x, *o) : x));
  };
  return explain_with(probs_of, a, p.class_names(), p.thresholds(), cfg, name);
}

}  // namespace murmur::pipeline
