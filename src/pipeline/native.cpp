#include "pipeline/native.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "pipeline/augment.h"
#include "segment/score.h"
#include "segment/segment.h"
#include "util/check.h"

namespace murmur::pipeline {

NativePreset::NativePreset() {
  audio.target_rate_hz = 4000;       // BMD-HS's own rate: no upsampling
  log_mel.sample_rate_hz = 4000;
  log_mel.n_fft = 512;               // 128 ms: 7.8 Hz bins resolve the low murmur band
  log_mel.hop = 128;                 // 32 ms frames
  log_mel.n_mels = 32;
  log_mel.fmin_hz = 25;              // heart-sound band (S1/S2 and murmurs: ~25-600 Hz)
  log_mel.fmax_hz = 800;
  log_mel.ref = features::DbRef::kFixed;  // one fixed axis for every recording (no per-file max)
  log_mel.top_db = 0;
  log_mel.amin = 1e-10f;
  train.epochs = 40;
  train.batch_size = 32;
  train.lr = 3e-3;
  train.weight_decay = 1e-2;
  train.stop_at_val_acc = 1.01;      // no early stop at a fixed accuracy: keep the best epoch
  train.collapse_after_epoch = 0;
  train.patience_epochs = 12;
}

void NativePreset::own_from_json(const nlohmann::json& j) {
  if (j.contains("native")) native = j["native"].get<NativeFeatureConfig>();
  if (j.contains("net")) net = j["net"].get<model::NativeNetConfig>();
  if (j.contains("robust")) robust = j["robust"].get<RobustConfig>();
}

void NativePreset::validate_own() const {
  native.validate();
  net.validate();
  robust.validate();
}

nlohmann::json NativePreset::feature_json() const {
  nlohmann::json j = {{"preset", name()}, {"target_rate_hz", audio.target_rate_hz}, {"log_mel", log_mel},
                      {"standardize", native.standardize}};
  if (native.phase_channels) {  // absent when off: older caches stay valid
    j["phase_channels"] = true;
    j["phase_segmenter"] = native.phase_segmenter;
  }
  if (native.centre_bands) j["centre_bands"] = true;
  return j;
}

torch::Tensor NativePreset::features(const audio::Audio& a) const {
  check_rate(a);
  features::Matrix db = features::log_mel(a.samples, log_mel);
  auto t = torch::from_blob(db.data.data(), {1, db.rows, db.cols}, torch::kFloat).clone();
  if (native.centre_bands) t = t - t.mean(2, true);
  if (native.standardize) t = (t - t.mean()) / (t.std() + 1e-5);
  if (!native.phase_channels) return t;
  // Frame k of the log-mel is centred at k * hop: the segmenter's state there, as two indicators.
  auto seg = segment::segment(a.samples, a.sample_rate_hz, native.phase_segmenter, "recording");
  auto states = segment::states_at(seg, double(log_mel.hop) / log_mel.sample_rate_hz, int(db.cols));
  auto phase = torch::zeros({2, 1, db.cols});
  auto acc = phase.accessor<float, 3>();
  for (int k = 0; k < db.cols; ++k) {
    if (states[size_t(k)] == segment::State::kSystole) acc[0][0][k] = 1;
    if (states[size_t(k)] == segment::State::kDiastole) acc[1][0][k] = 1;
  }
  return torch::cat({t, phase.expand({2, db.rows, db.cols})});
}

int NativePreset::frames_per_window() const {
  return std::max(1, int(std::lround(native.window_s * log_mel.sample_rate_hz / log_mel.hop)));
}

int NativePreset::hop_frames() const {
  return std::max(1, int(std::lround(native.window_hop_s * log_mel.sample_rate_hz / log_mel.hop)));
}

int NativePreset::train_frames() const {
  return std::max(frames_per_window(), int(std::lround(native.train_s * log_mel.sample_rate_hz / log_mel.hop)));
}

torch::Tensor NativePreset::train_views(const torch::Tensor& stored) const {
  // Cut [C, F, T] to [C, F, train_frames], or fill it up by repeating the recording (or zeros),
  // as one view [1, C, F, T].
  const int64_t frames = train_frames(), t = stored.size(2);
  if (t >= frames) return stored.slice(2, 0, frames).unsqueeze(0);
  if (!native.repeat_short || t == 0) return torch::constant_pad_nd(stored, {0, frames - t}).unsqueeze(0);
  return stored.repeat({1, 1, (frames + t - 1) / t}).slice(2, 0, frames).unsqueeze(0);
}

torch::Tensor NativePreset::augment(const torch::Tensor& batch) const {
  // Responses and noise act on the whole recording, which is then standardised again as a
  // recording is for inference; the windows are cut after.
  const double frames_per_s = double(log_mel.sample_rate_hz) / log_mel.hop;
  auto whole = robust.enabled() ? robust_augment(batch, robust, MelBands::of(log_mel), frames_per_s) : batch;
  if (robust.enabled() && native.centre_bands) {  // robust_augment standardises the whole matrix again
    for (int64_t i = 0; i < whole.size(0); ++i) {
      auto mel = whole[i][0];
      auto centred = mel - mel.mean(1, true);
      mel.copy_(centred / (centred.std() + 1e-5));
    }
  }
  auto x = random_windows(whole, frames_per_window());
  if (native.time_reverse) random_time_reverse(x, 0.5);
  if (native.gain_db > 0) x = random_gain(x, native.gain_db);
  spec_augment(x, {native.freq_masks, native.freq_mask_bins, native.time_masks, native.time_mask_frames});
  return x;
}

torch::Tensor NativePreset::training_input(const torch::Tensor& stored, const data::Recording& r) const {
  if (native.cycle_weight <= 0) return stored;
  // One more channel: each frame's annotated state + 1 (0: none), constant over the bands, so that
  // the windows, time reversal and padding of training cut and move it with the features.
  auto row = torch::zeros({stored.size(2)});
  if (!r.segmentation.empty()) {
    const auto spans = segment::read_annotation(r.segmentation);
    const double hop_s = double(log_mel.hop) / log_mel.sample_rate_hz;
    auto acc = row.accessor<float, 1>();
    const std::vector<std::string> states = {"S1", "systole", "S2", "diastole"};  // segment::State's order
    for (int64_t k = 0; k < row.size(0); ++k) {
      const double t = double(k) * hop_s;  // frame k is centred at k * hop
      float state = 0;  // none; a noise span overrides any state it overlaps, as in segment/score.h
      for (const auto& s : spans) {
        if (t < s.start_s || t >= s.end_s) continue;
        auto at = std::find(states.begin(), states.end(), s.state);
        if (at == states.end()) {
          state = 0;
          break;
        }
        if (state == 0) state = float(at - states.begin() + 1);
      }
      acc[k] = state;
    }
  }
  return torch::cat({stored, row.view({1, 1, -1}).expand({1, stored.size(1), stored.size(2)})});
}

Network NativePreset::make_network() const {
  auto cfg = net;
  cfg.in_channels = input_channels();
  cfg.cycle_states = native.cycle_weight > 0 ? 4 : 0;
  model::NativeNet module(cfg);
  if (cfg.cycle_states == 0)
    return {module.ptr(), [module](const torch::Tensor& x) mutable { return module->forward(x); }, {}};
  // Training inputs carry training_input's state channel last: the features go to the network, the
  // states become the heart-cycle head's targets, its loss waits for train::fit in `last`.
  auto last = std::make_shared<torch::Tensor>();
  const int64_t c = cfg.in_channels;
  const double weight = native.cycle_weight;
  auto forward = [module, last, c, weight](const torch::Tensor& x) mutable {
    if (x.size(1) != c + 1) return module->forward(x);
    auto features = x.slice(1, 0, c);
    if (!module->is_training()) return module->forward(features);
    auto [logits, states] = module->forward_with_cycle(features);
    *last = model::cycle_loss(states, model::cycle_targets(x.select(1, c).select(1, 0), states.size(2))) * weight;
    return logits;
  };
  auto aux = [last] { return std::exchange(*last, torch::Tensor()); };
  return {module.ptr(), forward, aux};
}

Network NativePreset::for_inference(Network n) const {
  dynamic_cast<model::NativeNetImpl&>(*n.module).freeze_for_inference();
  return n;
}

torch::Tensor NativePreset::occluded(const torch::Tensor& stored, const Occlusion& o) const {
  // Channel 0, frame k centred at k * hop (the same masking NativePredictor does without LibTorch).
  auto x = stored.clone().contiguous();
  if (x.scalar_type() != torch::kFloat || x.dim() < 3) throw Error("occluded: features are not float [C, F, T]");
  const float level = occlusion_level(x[0]);
  occlude(x.data_ptr<float>(), int(x.size(-2)), int(x.size(-1)), double(log_mel.hop) / log_mel.sample_rate_hz,
          o.hi_hz > o.lo_hz ? band_peak_hz() : std::vector<double>{}, level, o);
  return x;
}

std::vector<double> NativePreset::band_peak_hz() const { return features::mel_band_peak_hz(log_mel); }

torch::Tensor NativePreset::recording_probs(const Network& n, const torch::Tensor& stored) const {
  return batch_probs(n, {stored}).front();
}

std::vector<torch::Tensor> NativePreset::batch_probs(const Network& n, const std::vector<torch::Tensor>& stored) const {
  torch::NoGradGuard no_grad;
  ensure_eval(*n.module);
  std::vector<torch::Tensor> out(stored.size());
  std::vector<bool> done(stored.size(), false);
  for (size_t i = 0; i < stored.size(); ++i) {
    if (done[i]) continue;
    std::vector<size_t> group;  // every recording of this one's shape
    for (size_t j = i; j < stored.size(); ++j)
      if (!done[j] && stored[j].sizes() == stored[i].sizes()) group.push_back(j);
    std::vector<torch::Tensor> items;
    for (size_t j : group) items.push_back(stored[j]);
    // One network pass over the whole recordings [B, C, F, T], windows pooled inside.
    torch::Tensor probs = from_windows(window_logits(n, torch::stack(items)));
    for (size_t k = 0; k < group.size(); ++k) {
      out[group[k]] = probs[int64_t(k)];
      done[group[k]] = true;
    }
  }
  return out;
}

torch::Tensor NativePreset::window_logits(const Network& n, const torch::Tensor& batch) const {
  auto& trunk = dynamic_cast<model::NativeNetImpl&>(*n.module);
  return trunk.batch_window_logits(batch, frames_per_window(), hop_frames());
}

torch::Tensor NativePreset::from_windows(const torch::Tensor& logits) const { return torch::softmax(logits, 2).mean(1); }

}  // namespace murmur::pipeline
