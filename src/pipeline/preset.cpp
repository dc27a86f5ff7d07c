#include "pipeline/preset.h"

#include "pipeline/model.h"

#include <cmath>

#include "data/recording.h"
#include "features/colormap.h"
#include "util/check.h"
#include "util/error.h"

namespace murmur::pipeline {

nlohmann::json Preset::to_json() const {
  nlohmann::json j = {{"name", name()},
                      {"audio", {{"target_rate_hz", audio.target_rate_hz}, {"min_duration_s", audio.min_duration_s},
                                 {"max_duration_s", audio.max_duration_s}}},
                      {"log_mel", log_mel},
                      {"train", train}};
  j.update(own_json());
  if (temperature != 1.0) j["calibration"] = {{"temperature", temperature}};  // absent: not fitted (runs' configs)
  return j;
}

void Preset::from_json(const nlohmann::json& j) {
  if (j.contains("audio")) {
    audio.target_rate_hz = j["audio"].value("target_rate_hz", audio.target_rate_hz);
    audio.min_duration_s = j["audio"].value("min_duration_s", audio.min_duration_s);
    audio.max_duration_s = j["audio"].value("max_duration_s", audio.max_duration_s);
  }
  if (j.contains("log_mel")) log_mel = j["log_mel"].get<features::LogMelConfig>();
  if (j.contains("train")) train = j["train"].get<train::TrainConfig>();
  if (j.contains("calibration")) temperature = j["calibration"].value("temperature", temperature);
  own_from_json(j);
  validate();
}

void Preset::validate() const {
  audio.validate();
  log_mel.validate();
  util::check_setting(audio.target_rate_hz == log_mel.sample_rate_hz, "audio.target_rate_hz",
                      "must equal log_mel.sample_rate_hz (" + std::to_string(log_mel.sample_rate_hz) + ")",
                      audio.target_rate_hz);
  validate_own();
  train.validate();
  util::check_setting(std::isfinite(temperature) && temperature >= 0.01 && temperature <= 100, "calibration.temperature",
                      "must be in [0.01, 100]", temperature);
  util::check_setting(temperature == 1.0 || !multi_label(), "calibration.temperature",
                      "must be 1 for a multi-label preset (its outputs are not one softmax)", temperature);
}

features::Image Preset::feature_picture(const torch::Tensor& stored, int row_px) const {
  // The first channel: the spectrogram (further channels, if any, are per-frame phase labels).
  auto m = stored.reshape({-1, stored.size(-2), stored.size(-1)})[0].to(torch::kFloat).contiguous();
  return features::viridis_picture(m.data_ptr<float>(), int(m.size(0)), int(m.size(1)), row_px);
}

std::vector<torch::Tensor> Preset::batch_probs(const Network& net, const std::vector<torch::Tensor>& stored) const {
  std::vector<torch::Tensor> out;
  for (const auto& s : stored) out.push_back(recording_probs(net, s));
  return out;
}

std::vector<std::string> Preset::output_names() const { return data::kClassNames; }

void Preset::set_thresholds(const std::vector<float>&) {
  throw Error("preset " + name() + ": has no per-output thresholds (it is not multi-label)");
}

torch::Tensor Preset::picture_input(const features::Image&, const std::string& source) const {
  throw Error(source + ": a picture needs a model trained on pictures (preset seed); this one is " + name());
}

torch::Tensor Preset::occluded(const torch::Tensor&, const Occlusion&) const {
  throw Error("preset " + name() + " cannot be explained by occlusion: its features have no time and frequency "
              "axes of their own (presets native and valves can)");
}

void Preset::check_rate(const audio::Audio& a) const {
  if (a.sample_rate_hz != log_mel.sample_rate_hz)
    throw Error("preset " + name() + ": audio at " + std::to_string(a.sample_rate_hz) + " Hz, features expect " +
                std::to_string(log_mel.sample_rate_hz) + " Hz");
}

Model Model::fresh(PresetPtr preset) {
  preset->validate();
  Network net = preset->make_network();
  return {std::move(preset), std::move(net)};
}

}  // namespace murmur::pipeline
