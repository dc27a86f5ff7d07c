#include "infer/native_predictor.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "features/colormap.h"
#include "infer/stored_model.h"
#include "segment/segment.h"
#include "util/error.h"

namespace murmur::infer {

namespace {

// The presets this runs, as pipeline/native.h, valves.h and pooled.h define them.
const NativePredictor::Kind kKinds[] = {
    {"native", 5, /*multi_label=*/false, eval::Fusion::kGeometric},
    {"valves", 4, /*multi_label=*/true, eval::Fusion::kMean},
    {"pooled", 6, /*multi_label=*/true, eval::Fusion::kMean},
};

const NativePredictor::Kind* kind_of(const std::string& preset) {
  for (const auto& k : kKinds)
    if (preset == k.preset) return &k;
  return nullptr;
}

// Every section a native-family preset writes (Preset::to_json): anything else is a setting this
// reader would not know to apply.
bool known_section(const std::string& key) {
  static const std::set<std::string> kKnown = {"name",    "audio",  "log_mel", "train",       "native", "net",
                                               "robust",  "valves", "pooled",  "multi_label", "calibration"};
  return kKnown.count(key) > 0;
}

}  // namespace

std::optional<NativePredictor> NativePredictor::open(const std::string& path, std::string* why_not) {
  auto no = [&](const std::string& why) -> std::optional<NativePredictor> {
    if (why_not) *why_not = why;
    return std::nullopt;
  };
  const std::vector<std::string> files = model_files(path, why_not);
  if (files.empty()) return std::nullopt;
  NativePredictor p;
  try {
    for (const auto& file : files) {
      model::SavedCheckpoint ck = model::read_saved_checkpoint(file);
      const nlohmann::json& j = ck.murmur_config;
      if (!j.is_object() || !j.contains("name") || !j["name"].is_string())
        return no(file + ": no murmur preset in it (the reference's checkpoint)");
      const std::string name = j["name"];
      const Kind* kind = kind_of(name);
      if (!kind) return no(file + ": preset " + name);
      for (auto& [key, value] : j.items())
        if (!known_section(key)) return no(file + ": section \"" + key + "\" is not known here");
      if (!j.contains("audio") || !j.contains("log_mel")) return no(file + ": no audio or log_mel section");
      const audio::LoadConfig a = stored_audio(j, 4000);
      const auto log_mel = j["log_mel"].get<features::LogMelConfig>();
      log_mel.validate();
      if (a.target_rate_hz != log_mel.sample_rate_hz) return no(file + ": audio and log_mel rates differ");
      pipeline::NativeFeatureConfig native;
      if (j.contains("native")) native = j["native"].get<pipeline::NativeFeatureConfig>();
      native.validate();
      model::NativeNetConfig net;
      net.n_classes = kind->outputs;
      if (j.contains("net")) net = j["net"].get<model::NativeNetConfig>();
      net.in_channels = native.phase_channels ? 3 : 1;
      net.cycle_states = native.cycle_weight > 0 ? 4 : 0;
      if (size_t(net.n_classes) != ck.class_names.size()) return no(file + ": outputs and class names differ");
      const double temperature = stored_temperature(j, file);
      if (temperature != 1.0 && kind->multi_label) return no(file + ": calibration.temperature out of range");
      if (net.n_classes != kind->outputs) return no(file + ": net.n_classes is not the preset's");
      std::vector<float> thresholds;
      if (kind->multi_label) {
        thresholds.assign(size_t(net.n_classes), 0.5f);
        if (j.contains("valves")) thresholds = j["valves"].value("thresholds", thresholds);
        if (thresholds.size() != size_t(net.n_classes)) return no(file + ": thresholds do not match the outputs");
        for (float t : thresholds)
          if (!(t > 0 && t < 1)) return no(file + ": a threshold outside (0, 1)");
      }
      const nlohmann::json key = {{"preset", name}, {"target_rate_hz", a.target_rate_hz}, {"log_mel", log_mel},
                                  {"native", native}};
      if (!p.models_.empty() && (key != p.feature_key_ || ck.class_names != p.class_names_))
        return no(file + ": its preset or classes differ from " + files.front() + "'s");
      if (p.models_.empty()) {  // the first model's preset applies to all, as in Predictor
        p.kind_ = kind;
        p.feature_key_ = key;
        p.audio_ = a;
        p.log_mel_ = log_mel;
        p.native_ = native;
        p.class_names_ = ck.class_names;
      }
      p.info_["models"].push_back({{"path", file}, {"preset", name}, {"epoch", ck.epoch}, {"val_acc", ck.val_acc},
                                   {"members", ck.n_members}, {"provenance", ck.provenance}});
      if (!p.info_.contains("preset")) p.info_["preset"] = j;  // as stored: Preset::to_json when it was trained
      for (int64_t k = 0; k < ck.n_members; ++k) {
        const std::string prefix = ck.n_members > 1 ? "member" + std::to_string(k) + "." : "";
        const std::string source = ck.n_members > 1 ? file + " member " + std::to_string(k) : file;
        p.models_.push_back(
            {std::make_shared<const NativeEngine>(ck.state, net, prefix, source), temperature, thresholds});
      }
    }
  } catch (const std::exception& e) {  // a file this cannot read: LibTorch's path says why, as ever
    return no(e.what());
  }
  for (const Model& m : p.models_) {  // their mean, added up as Predictor::thresholds does
    if (p.thresholds_.empty()) p.thresholds_.assign(m.thresholds.size(), 0.f);
    for (size_t o = 0; o < m.thresholds.size() && o < p.thresholds_.size(); ++o)
      p.thresholds_[o] += m.thresholds[o] / float(p.models_.size());
  }
  p.band_hz_ = features::mel_band_peak_hz(p.log_mel_);
  p.info_["class_names"] = p.class_names_;
  if (!p.thresholds_.empty()) p.info_["thresholds"] = p.thresholds_;
  p.info_["n_models"] = p.models_.size();  // ensemble members counted one by one, as Predictor does
  p.info_["patient_fusion"] = eval::fusion_name(p.kind_->fusion);
  return p;
}

std::vector<float> NativePredictor::features(const audio::Audio& a, int* frames) const {
  if (a.sample_rate_hz != log_mel_.sample_rate_hz)
    throw Error("preset " + preset_name() + ": audio at " + std::to_string(a.sample_rate_hz) + " Hz, features expect " +
                std::to_string(log_mel_.sample_rate_hz) + " Hz");
  features::Matrix db = features::log_mel(a.samples, log_mel_);
  const size_t rows = size_t(db.rows), cols = size_t(db.cols);
  std::vector<float>& x = db.data;  // [n_mels][frames], as NativePreset::features
  if (native_.centre_bands)
    for (size_t r = 0; r < rows; ++r) {
      double s = 0;
      for (size_t c = 0; c < cols; ++c) s += x[r * cols + c];
      const float mean = float(s / double(cols));
      for (size_t c = 0; c < cols; ++c) x[r * cols + c] -= mean;
    }
  if (native_.standardize) {
    double s = 0, ss = 0;
    for (float v : x) s += v;
    const double mean = s / double(x.size());
    for (float v : x) ss += (v - mean) * (v - mean);
    const float sd = float(std::sqrt(ss / double(std::max<size_t>(1, x.size() - 1))));  // unbiased, as torch::std
    const float m = float(mean), denom = sd + 1e-5f;
    for (auto& v : x) v = (v - m) / denom;
  }
  *frames = db.cols;
  if (!native_.phase_channels) return std::move(x);
  // Two more channels: 1 where the segmenter says systole / diastole at frame k (centred at k * hop).
  auto seg = segment::segment(a.samples, a.sample_rate_hz, native_.phase_segmenter, "recording");
  auto states = segment::states_at(seg, double(log_mel_.hop) / log_mel_.sample_rate_hz, db.cols);
  std::vector<float> out(3 * x.size(), 0.f);
  std::copy(x.begin(), x.end(), out.begin());
  for (size_t r = 0; r < rows; ++r)
    for (size_t c = 0; c < cols; ++c) {
      out[x.size() + r * cols + c] = states[c] == segment::State::kSystole;
      out[2 * x.size() + r * cols + c] = states[c] == segment::State::kDiastole;
    }
  return out;
}

std::vector<float> NativePredictor::probs_of(const std::vector<float>& x, int frames) const {
  // As NativePreset::frames_per_window and hop_frames, to the same rounding.
  const int window = std::max(1, int(std::lround(native_.window_s * log_mel_.sample_rate_hz / log_mel_.hop)));
  const int hop = std::max(1, int(std::lround(native_.window_hop_s * log_mel_.sample_rate_hz / log_mel_.hop)));
  std::vector<float> sum(class_names_.size(), 0.f);
  for (const Model& m : models_) {
    const auto logits = m.net->window_logits(x, log_mel_.n_mels, frames, window, hop);
    std::vector<float> p(sum.size(), 0.f);
    for (const auto& z : logits) {  // softmax (native) or one sigmoid per output, mean over windows
      std::vector<float> q = z;
      if (!kind_->multi_label) q = softmax(z);
      else
        for (auto& v : q) v = 1.f / (1.f + std::exp(-v));
      for (size_t k = 0; k < p.size(); ++k) p[k] += q[k];
    }
    for (auto& v : p) v /= float(logits.size());
    add_floored(sum, calibrated(std::move(p), m.temperature));
  }
  for (auto& v : sum) v /= float(models_.size());
  return sum;
}

NativePredictor::Input NativePredictor::input_of(const audio::Audio& a) const {
  Input in;
  in.x = features(audio::at_rate(a, audio_.target_rate_hz), &in.frames);
  return in;
}

std::vector<float> NativePredictor::predict_input(const Input& in) const { return probs_of(in.x, in.frames); }

std::vector<float> NativePredictor::predict_audio(const audio::Audio& a) const { return predict_input(input_of(a)); }

std::vector<float> NativePredictor::predict_file(const std::string& path) const {
  int frames = 0;
  const auto x = features(audio::load(path, audio_), &frames);
  return probs_of(x, frames);
}

pipeline::Explanation NativePredictor::explain(const audio::Audio& a, const Input* given,
                                               const pipeline::ExplainConfig& cfg, const std::string& name) const {
  Input own;  // computed at the first call: after the segmenter has checked the audio
  const double hop_s = double(log_mel_.hop) / log_mel_.sample_rate_hz;
  auto probs_of_occluded = [&](const pipeline::Occlusion* o) {
    if (!given && own.x.empty()) own = input_of(a);
    const Input& in = given ? *given : own;
    std::vector<float> x = in.x;
    // Channel 0, masked at 0: the recording's mean level after standardisation (NativePreset).
    if (o) pipeline::occlude(x.data(), log_mel_.n_mels, in.frames, hop_s, band_hz_, 0.f, *o);
    const auto p = probs_of(x, in.frames);
    return std::vector<double>(p.begin(), p.end());
  };
  return pipeline::explain_with(probs_of_occluded, a, class_names_, thresholds_, cfg, name);
}

features::Image NativePredictor::feature_picture(const Input& in) const {
  return features::viridis_picture(in.x.data(), log_mel_.n_mels, in.frames);
}

std::vector<float> NativePredictor::fuse_patient(const std::vector<std::vector<float>>& recording_probs) const {
  return eval::fuse(recording_probs, patient_fusion());
}

}  // namespace murmur::infer
