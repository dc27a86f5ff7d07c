#include "model/preset.h"

#include <cmath>

#include "model/seed_cnn.h"
#include "util/error.h"

namespace murmur::model {

void NativeFeatureConfig::validate() const {
  auto fail = [](const std::string& f, double v, const std::string& why) {
    throw Error("NativeFeatures: " + f + " " + std::to_string(v) + " " + why);
  };
  if (!(window_s > 0)) fail("window_s", window_s, "must be positive");
  if (!(window_hop_s > 0)) fail("window_hop_s", window_hop_s, "must be positive");
  if (train_s < window_s) fail("train_s", train_s, "must be at least window_s");
  if (freq_masks < 0 || time_masks < 0) fail("masks", std::min(freq_masks, time_masks), "must not be negative");
  if (gain_db < 0) fail("gain_db", gain_db, "must not be negative");
  if (crops_per_epoch < 1) fail("crops_per_epoch", crops_per_epoch, "must be at least 1");
}

void to_json(nlohmann::json& j, const NativeFeatureConfig& c) {
  j = {{"window_s", c.window_s}, {"window_hop_s", c.window_hop_s}, {"standardize", c.standardize},
       {"time_reverse", c.time_reverse}, {"freq_masks", c.freq_masks}, {"freq_mask_bins", c.freq_mask_bins},
       {"time_masks", c.time_masks}, {"time_mask_frames", c.time_mask_frames}, {"gain_db", c.gain_db},
       {"train_s", c.train_s}, {"crops_per_epoch", c.crops_per_epoch},
       {"md_training", c.md_training}};
}

void from_json(const nlohmann::json& j, NativeFeatureConfig& c) {
  NativeFeatureConfig d;
  c.window_s = j.value("window_s", d.window_s);
  c.window_hop_s = j.value("window_hop_s", d.window_hop_s);
  c.standardize = j.value("standardize", d.standardize);
  c.time_reverse = j.value("time_reverse", d.time_reverse);
  c.freq_masks = j.value("freq_masks", d.freq_masks);
  c.freq_mask_bins = j.value("freq_mask_bins", d.freq_mask_bins);
  c.time_masks = j.value("time_masks", d.time_masks);
  c.time_mask_frames = j.value("time_mask_frames", d.time_mask_frames);
  c.gain_db = j.value("gain_db", d.gain_db);
  c.train_s = j.value("train_s", d.train_s);
  c.crops_per_epoch = j.value("crops_per_epoch", d.crops_per_epoch);
  c.md_training = j.value("md_training", d.md_training);
  c.validate();
}

const std::vector<std::string>& Preset::names() {
  static const std::vector<std::string> n{"native", "seed"};
  return n;
}

Preset Preset::named(const std::string& name) {
  Preset p;
  p.name = name;
  if (name == "seed") {
    p.audio.target_rate_hz = 22050;  // librosa.load's default rate: the reference upsampled 4 kHz
    return p;                        // every other default is the reference's
  }
  if (name == "native") {
    p.audio.target_rate_hz = 4000;   // BMD-HS's own rate: no upsampling
    auto& m = p.log_mel;
    m.sample_rate_hz = 4000;
    m.n_fft = 512;                   // 128 ms: 7.8 Hz bins resolve the low murmur band
    m.hop = 128;                     // 32 ms frames
    m.n_mels = 32;
    m.fmin_hz = 25;                  // heart-sound band (S1/S2 and murmurs: ~25-600 Hz)
    m.fmax_hz = 800;
    m.ref = features::DbRef::kFixed; // one fixed axis for every recording (no per-file max)
    m.top_db = 0;
    m.amin = 1e-10f;
    auto& t = p.train;
    t.epochs = 40;
    t.batch_size = 32;
    t.lr = 3e-3;
    t.weight_decay = 1e-2;
    t.stop_at_val_acc = 1.01;        // no early stop at a fixed accuracy: keep the best epoch
    t.collapse_after_epoch = 0;
    t.patience_epochs = 12;
    return p;
  }
  throw Error("preset '" + name + "' is unknown (known: native, seed)");
}

void Preset::validate() const {
  if (name != "seed" && name != "native") throw Error("preset '" + name + "' is unknown (known: native, seed)");
  log_mel.validate();
  if (audio.target_rate_hz != log_mel.sample_rate_hz)
    throw Error("preset " + name + ": audio.target_rate_hz " + std::to_string(audio.target_rate_hz) +
                " differs from log_mel.sample_rate_hz " + std::to_string(log_mel.sample_rate_hz));
  if (name == "seed") image.validate();
  if (name == "native") { native.validate(); net.validate(); }
  train.validate();
}

nlohmann::json Preset::feature_json() const {
  nlohmann::json j = {{"preset", name}, {"target_rate_hz", audio.target_rate_hz}, {"log_mel", log_mel}};
  if (name == "seed") j["image"] = image;
  if (name == "native") j["standardize"] = native.standardize;
  return j;
}

void to_json(nlohmann::json& j, const Preset& p) {
  j = {{"name", p.name},
       {"audio", {{"target_rate_hz", p.audio.target_rate_hz}, {"min_duration_s", p.audio.min_duration_s},
                  {"max_duration_s", p.audio.max_duration_s}}},
       {"log_mel", p.log_mel}, {"train", p.train}};
  if (p.name == "seed") j["image"] = p.image;
  if (p.name == "native") { j["native"] = p.native; j["net"] = p.net; }
}

void from_json(const nlohmann::json& j, Preset& p) {
  p = Preset::named(j.at("name").get<std::string>());
  if (j.contains("audio")) {
    p.audio.target_rate_hz = j["audio"].value("target_rate_hz", p.audio.target_rate_hz);
    p.audio.min_duration_s = j["audio"].value("min_duration_s", p.audio.min_duration_s);
    p.audio.max_duration_s = j["audio"].value("max_duration_s", p.audio.max_duration_s);
  }
  if (j.contains("log_mel")) p.log_mel = j["log_mel"].get<features::LogMelConfig>();
  if (j.contains("train")) p.train = j["train"].get<train::TrainConfig>();
  if (j.contains("image")) p.image = j["image"].get<features::SeedImageConfig>();
  if (j.contains("native")) p.native = j["native"].get<NativeFeatureConfig>();
  if (j.contains("net")) p.net = j["net"].get<NativeNetConfig>();
  p.validate();
}

Preset with_overrides(const Preset& p, const std::vector<std::string>& overrides) {
  nlohmann::json j = p;
  for (const auto& o : overrides) {
    auto eq = o.find('=');
    auto dot = o.find('.');
    if (eq == std::string::npos || dot == std::string::npos || dot > eq)
      throw Error("--set '" + o + "': expected section.field=value (e.g. native.time_reverse=false)");
    std::string section = o.substr(0, dot), field = o.substr(dot + 1, eq - dot - 1), text = o.substr(eq + 1);
    if (!j.contains(section) || !j[section].is_object() || !j[section].contains(field))
      throw Error("--set '" + o + "': preset " + p.name + " has no setting " + section + "." + field);
    nlohmann::json value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    j[section][field] = value.is_discarded() ? nlohmann::json(text) : value;
  }
  try {
    return j.get<Preset>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("--set: ") + e.what());
  }
}

namespace {

// An RGB(A) picture -> uint8 [H, W, 3] tensor resized like PIL to size x size.
torch::Tensor rgb_224(const features::Image& picture, int size) {
  features::Image rgb;
  rgb.width = picture.width;
  rgb.height = picture.height;
  rgb.channels = 3;
  rgb.pixels.resize(size_t(rgb.width) * size_t(rgb.height) * 3);
  for (size_t i = 0, n = size_t(rgb.width) * size_t(rgb.height); i < n; ++i)
    for (int c = 0; c < 3; ++c) rgb.pixels[i * 3 + size_t(c)] = picture.pixels[i * size_t(picture.channels) + size_t(c)];
  features::Image small = features::resize_bilinear_pil(rgb, size, size);
  return torch::from_blob(small.pixels.data(), {size, size, 3}, torch::kUInt8).clone();
}

}  // namespace

torch::Tensor Preset::features(const audio::Audio& a) const {
  if (a.sample_rate_hz != log_mel.sample_rate_hz)
    throw Error("preset " + name + ": audio at " + std::to_string(a.sample_rate_hz) + " Hz, features expect " +
                std::to_string(log_mel.sample_rate_hz) + " Hz");
  if (name == "seed") {
    features::Matrix db = features::log_mel(a.samples, log_mel);
    features::Image picture = features::render_seed_image(db, image);
    return torch::stack({rgb_224(picture, image.input_size_px),
                         rgb_224(features::flip_left_right(picture), image.input_size_px)});
  }
  features::Matrix db = features::log_mel(a.samples, log_mel);
  auto t = torch::from_blob(db.data.data(), {1, db.rows, db.cols}, torch::kFloat).clone();
  if (native.standardize) t = (t - t.mean()) / (t.std() + 1e-5);
  return t;
}

int Preset::frames_per_window() const {
  return std::max(1, int(std::lround(native.window_s * log_mel.sample_rate_hz / log_mel.hop)));
}

int Preset::train_frames() const {
  return std::max(frames_per_window(), int(std::lround(native.train_s * log_mel.sample_rate_hz / log_mel.hop)));
}

torch::Tensor normalise_seed(const torch::Tensor& rgb, const features::SeedImageConfig& c) {
  if (rgb.scalar_type() != torch::kByte) return rgb;
  auto x = rgb.to(torch::kFloat).div(255.0);
  auto mean = torch::tensor({c.mean[0], c.mean[1], c.mean[2]}).view({1, 3, 1, 1});
  auto std = torch::tensor({c.std[0], c.std[1], c.std[2]}).view({1, 3, 1, 1});
  return ((x - mean) / std).contiguous();
}

namespace {

// Cut or zero-pad [1, F, T] to [1, F, frames].
torch::Tensor fit_frames(const torch::Tensor& s, int frames) {
  if (s.size(2) >= frames) return s.slice(2, 0, frames);
  return torch::constant_pad_nd(s, {0, frames - s.size(2)});
}

}  // namespace

int Preset::examples_per_recording() const { return name == "native" ? native.crops_per_epoch : 1; }

torch::Tensor Preset::train_views(const torch::Tensor& stored) const {
  // Seed: kept as bytes (a quarter of the memory); the network normalises each batch.
  if (name == "seed") return stored.permute({0, 3, 1, 2}).contiguous();
  return fit_frames(stored, train_frames()).unsqueeze(0);  // [1, 1, F, T]
}

torch::Tensor Preset::eval_views(const torch::Tensor& stored) const {
  if (name == "seed") return normalise_seed(stored.permute({0, 3, 1, 2}), image);
  return stored.unsqueeze(0);  // [1, 1, F, T]: windows are pooled inside NativeNet
}

torch::Tensor Preset::augment(const torch::Tensor& batch) const {
  if (name == "seed") return train::random_hflip(batch, 0.3);
  // batch [B, 1, F, T] -> random windows [B, 1, F, W]
  const int64_t b = batch.size(0), f = batch.size(2), t = batch.size(3);
  const int64_t w = std::min<int64_t>(t, frames_per_window());
  auto starts = torch::randint(0, t - w + 1, {b}, torch::kLong);
  std::vector<torch::Tensor> crops;
  for (int64_t i = 0; i < b; ++i) {
    int64_t s0 = starts[i].item<int64_t>();
    crops.push_back(batch[i].slice(2, s0, s0 + w));
  }
  auto x = torch::stack(crops).clone();
  if (native.time_reverse) {
    auto flip = torch::rand({b}) < 0.5;
    auto idx = flip.nonzero().squeeze(1);
    if (idx.numel()) x.index_put_({idx}, x.index({idx}).flip({-1}));
  }
  if (native.gain_db > 0) x = x + (torch::rand({b, 1, 1, 1}) * 2 - 1) * float(native.gain_db / 10.0);
  for (int64_t i = 0; i < b; ++i) {
    for (int m = 0; m < native.freq_masks && native.freq_mask_bins > 0; ++m) {
      int64_t width = torch::randint(0, native.freq_mask_bins + 1, {1}).item<int64_t>();
      int64_t f0 = torch::randint(0, std::max<int64_t>(1, f - width), {1}).item<int64_t>();
      x[i].slice(1, f0, f0 + width).zero_();
    }
    for (int m = 0; m < native.time_masks && native.time_mask_frames > 0; ++m) {
      int64_t width = torch::randint(0, native.time_mask_frames + 1, {1}).item<int64_t>();
      int64_t t0 = torch::randint(0, std::max<int64_t>(1, w - width), {1}).item<int64_t>();
      x[i].slice(2, t0, t0 + width).zero_();
    }
  }
  return x;
}

torch::Tensor Classifier::recording_probs(const torch::Tensor& stored) const {
  torch::NoGradGuard no_grad;
  module->eval();
  auto views = preset.eval_views(stored);
  if (preset.name == "native") {
    auto* net = dynamic_cast<NativeNetImpl*>(module.get());
    int win = preset.frames_per_window();
    int hop = std::max(1, int(std::lround(preset.native.window_hop_s * preset.log_mel.sample_rate_hz / preset.log_mel.hop)));
    return net->predict_windows(views, win, hop).mean(0);
  }
  return torch::softmax(forward(views), 1).mean(0);
}

Classifier make_classifier(const Preset& preset) {
  preset.validate();
  Classifier c;
  c.preset = preset;
  if (preset.name == "seed") {
    SeedCnn net(preset.net.n_classes);
    c.module = net.ptr();
    c.forward = [net, image = preset.image](const torch::Tensor& x) mutable {
      return net->forward(normalise_seed(x, image));
    };
  } else {
    NativeNet net(preset.net);
    c.module = net.ptr();
    c.forward = [net](const torch::Tensor& x) mutable { return net->forward(x); };
  }
  return c;
}

}  // namespace murmur::model
