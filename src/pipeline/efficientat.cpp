#include "pipeline/efficientat.h"

#include <cmath>
#include <type_traits>

#include "util/check.h"
#include "util/error.h"

namespace murmur::pipeline {

template <class Base>
EfficientAtPreset<Base>::EfficientAtPreset() {
  // The frame grid the native machinery (windows, masks, occlusion) counts in: the frontend's.
  this->audio.target_rate_hz = frontend.sample_rate_hz;
  this->native.centre_bands = false;  // the frontend normalises as the encoder was trained
  this->log_mel.sample_rate_hz = frontend.sample_rate_hz;
  this->log_mel.n_fft = frontend.n_fft;
  this->log_mel.hop = frontend.hop;
  this->log_mel.n_mels = frontend.n_mels;
  this->log_mel.fmin_hz = float(frontend.fmin_hz);
  this->log_mel.fmax_hz = float(frontend.fmax_hz);
  this->native.standardize = false;      // the frontend's own fixed normalisation
  this->native.crops_per_epoch = 2;      // each 4 s window costs ~20 ms of training on 2 cores
  this->native.freq_mask_bins = 12;      // ~ the native masks' share of the bands that carry heart sounds
  this->native.time_mask_frames = 38;    // the native masks' 0.38 s
  encoder.n_classes = int(this->output_names().size());
  this->train.init = kEfficientAtWeights;
  this->train.freeze_prefix = "features.";
  this->train.freeze_epochs = 2;         // the new head settles on the pretrained embeddings first
  this->train.unfreeze_lr_scale = 0.5;   // then the encoder learns at half the head's rate
  this->train.lr = 1e-3;
  this->train.batch_size = 16;
  this->train.epochs = 20;
  this->train.patience_epochs = 8;
}

template <class Base>
std::string EfficientAtPreset<Base>::name() const {
  if constexpr (std::is_base_of_v<PooledPreset, Base>) return "efficientat-pooled";
  return this->multi_label() ? "efficientat-valves" : "efficientat";
}

template <class Base>
nlohmann::json EfficientAtPreset<Base>::feature_json() const {
  // Both presets read the same features: one cache.
  nlohmann::json j = {{"preset", "efficientat"},          {"target_rate_hz", this->audio.target_rate_hz},
          {"frontend", "efficientat mn04"},   {"n_fft", frontend.n_fft},
          {"window", frontend.window},        {"hop", frontend.hop},
          {"n_mels", frontend.n_mels},        {"fmin_hz", frontend.fmin_hz},
          {"fmax_hz", frontend.fmax_hz},      {"preemphasis", frontend.preemphasis}};
  if (frontend.keep_bands > 0) j["keep_bands"] = frontend.keep_bands;
  return j;
}

template <class Base>
torch::Tensor EfficientAtPreset<Base>::features(const audio::Audio& a) const {
  this->check_rate(a);
  auto pcm = torch::from_blob(const_cast<float*>(a.samples.data()), {int64_t(a.samples.size())}, torch::kFloat);
  return model::efficientat_mel(pcm, frontend);  // [1, bands, frames]
}

template <class Base>
Network EfficientAtPreset<Base>::make_network() const {
  model::EfficientAt module(encoder);
  return {module.ptr(), [module](const torch::Tensor& x) mutable { return module->forward(x).first; }, {}};
}

torch::Tensor efficientat_window_logits(model::EfficientAtImpl& net, const torch::Tensor& x, int window_frames,
                                        int hop_frames) {
  const int stride = model::EfficientAtImpl::kTimeStride;
  auto h = net.feature_map(x).mean(2);  // [B, C, T']
  const int64_t win = std::max<int64_t>(1, std::lround(double(window_frames) / stride));
  const int64_t hop = std::max<int64_t>(1, std::lround(double(hop_frames) / stride));
  auto pooled = h.size(2) <= win ? h.mean(2, /*keepdim=*/true) : torch::avg_pool1d(h, {win}, {hop});  // [B, C, W]
  return net.head(pooled.transpose(1, 2));  // [B, W, K]
}

template <class Base>
torch::Tensor EfficientAtPreset<Base>::window_logits(const Network& n, const torch::Tensor& batch) const {
  auto& net = dynamic_cast<model::EfficientAtImpl&>(*n.module);
  return efficientat_window_logits(net, batch, this->frames_per_window(), this->hop_frames());
}

template <class Base>
std::vector<double> EfficientAtPreset<Base>::band_peak_hz() const {
  const auto peaks = model::kaldi_mel_banks(frontend).argmax(1);
  const double bin_hz = double(frontend.sample_rate_hz) / frontend.n_fft;
  std::vector<double> hz;
  for (int64_t b = 0; b < peaks.size(0); ++b) hz.push_back(double(peaks[b].item<int64_t>()) * bin_hz);
  return hz;
}

template <class Base>
nlohmann::json EfficientAtPreset<Base>::own_json() const {
  auto j = Base::own_json();
  j.erase("net");  // NativeNet's: not this network
  j["efficientat"] = {{"width", encoder.width}, {"head_channels", encoder.head_channels},
                      {"dropout", encoder.dropout}, {"keep_bands", frontend.keep_bands}};
  return j;
}

template <class Base>
void EfficientAtPreset<Base>::own_from_json(const nlohmann::json& j) {
  Base::own_from_json(j);
  if (j.contains("efficientat")) {
    const auto& e = j["efficientat"];
    encoder.width = e.value("width", encoder.width);
    encoder.head_channels = e.value("head_channels", encoder.head_channels);
    encoder.dropout = e.value("dropout", encoder.dropout);
    frontend.keep_bands = e.value("keep_bands", frontend.keep_bands);
  }
}

template <class Base>
void EfficientAtPreset<Base>::validate_own() const {
  Base::validate_own();
  encoder.validate("efficientat");
  util::check_setting(frontend.keep_bands == 0 || (frontend.keep_bands >= 32 && frontend.keep_bands <= frontend.n_mels),
                      "efficientat.keep_bands", "must be 0 (all) or in [32, " + std::to_string(frontend.n_mels) +
                      "] (the encoder halves the bands five times)", frontend.keep_bands);
  util::check_setting(encoder.n_classes == int(this->output_names().size()), "efficientat.n_classes",
                      "must follow the preset's outputs", encoder.n_classes);
  util::check_setting(!this->robust.enabled(), "robust.response_p",
                      "robustness augmentation is not available for " + name() + " (its bands are not log_mel's)",
                      this->robust.response_p);
  util::check_setting(!this->native.centre_bands, "native.centre_bands",
                      "is not available for " + name() + " (its frontend normalises as the encoder was trained)",
                      this->native.centre_bands);
  util::check_setting(!this->native.phase_channels, "native.phase_channels",
                      "is not available for " + name() + " (the encoder takes one input channel)",
                      this->native.phase_channels);
  util::check_setting(this->native.cycle_weight == 0, "native.cycle_weight",
                      "is not available for " + name() + " (the encoder has no heart-cycle head)",
                      this->native.cycle_weight);
  util::check_setting(this->audio.target_rate_hz == frontend.sample_rate_hz, "audio.target_rate_hz",
                      "must be the encoder's " + std::to_string(frontend.sample_rate_hz) + " Hz",
                      this->audio.target_rate_hz);
}

template class EfficientAtPreset<NativePreset>;
template class EfficientAtPreset<ValvesPreset>;
template class EfficientAtPreset<PooledPreset>;

}  // namespace murmur::pipeline
