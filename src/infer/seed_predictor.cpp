#include "infer/seed_predictor.h"

#include <set>

#include "features/png.h"
#include "infer/stored_model.h"
#include "util/error.h"
#include "util/openmp.h"

namespace murmur::infer {

namespace {

constexpr const char* kPreset = "seed";  // pipeline/seed.h's name()

// Every section the seed preset writes (Preset::to_json, SeedPreset::own_json): anything else is
// a setting this reader would not know to apply.
bool known_section(const std::string& key) {
  static const std::set<std::string> kKnown = {"name", "audio", "log_mel", "train", "image", "eval", "calibration"};
  return kKnown.count(key) > 0;
}

}  // namespace

std::optional<SeedPredictor> SeedPredictor::open(const std::string& path, std::string* why_not) {
  auto no = [&](const std::string& why) -> std::optional<SeedPredictor> {
    if (why_not) *why_not = why;
    return std::nullopt;
  };
  const std::vector<std::string> files = model_files(path, why_not);
  if (files.empty()) return std::nullopt;
  SeedPredictor p;
  try {
    for (const auto& file : files) {
      model::SavedCheckpoint ck = model::read_saved_checkpoint(file);
      // The reference's own checkpoint carries no murmur preset: it is the seed design, as trained.
      const nlohmann::json j = ck.murmur_config.is_object() ? ck.murmur_config : nlohmann::json{{"name", kPreset}};
      const std::string name = j.value("name", "(none)");
      if (name != kPreset) return no(file + ": preset " + name);
      for (auto& [key, value] : j.items())
        if (!known_section(key)) return no(file + ": section \"" + key + "\" is not known here");
      const audio::LoadConfig a = stored_audio(j, features::kReferenceRateHz);
      const auto log_mel = j.contains("log_mel") ? j["log_mel"].get<features::LogMelConfig>() : features::LogMelConfig{};
      log_mel.validate();
      if (a.target_rate_hz != log_mel.sample_rate_hz) return no(file + ": audio and log_mel rates differ");
      const auto image = j.contains("image") ? j["image"].get<features::SeedImageConfig>() : features::SeedImageConfig{};
      image.validate();
      const int views = j.contains("eval") ? j["eval"].value("views", 1) : 1;
      if (views != 1 && views != 2) return no(file + ": eval.views must be 1 or 2");
      const double temperature = stored_temperature(j, file);
      const nlohmann::json key = {{"target_rate_hz", a.target_rate_hz}, {"log_mel", log_mel}, {"image", image}};
      if (!p.models_.empty() && (key != p.feature_key_ || ck.class_names != p.class_names_))
        return no(file + ": its preset or classes differ from " + files.front() + "'s");
      if (p.models_.empty()) {  // the first model's preset applies to all, as in Predictor
        p.feature_key_ = key;
        p.audio_ = a;
        p.log_mel_ = log_mel;
        p.image_ = image;
        p.eval_views_ = views;
        p.class_names_ = ck.class_names;
        p.info_["preset"] = j;  // as stored: Preset::to_json when it was trained
      }
      p.info_["models"].push_back({{"path", file}, {"preset", kPreset}, {"epoch", ck.epoch}, {"val_acc", ck.val_acc},
                                   {"members", ck.n_members}, {"provenance", ck.provenance}});
      for (int64_t k = 0; k < ck.n_members; ++k) {
        const std::string prefix = ck.n_members > 1 ? "member" + std::to_string(k) + "." : "";
        const std::string source = ck.n_members > 1 ? file + " member " + std::to_string(k) : file;
        p.models_.push_back(
            {std::make_shared<const SeedEngine>(ck.state, int(ck.class_names.size()), prefix, source), temperature});
      }
    }
  } catch (const std::exception& e) {  // a file this cannot read: LibTorch's path says why, as ever
    return no(e.what());
  }
  p.info_["class_names"] = p.class_names_;
  p.info_["n_models"] = p.models_.size();  // ensemble members counted one by one, as Predictor does
  p.info_["patient_fusion"] = eval::fusion_name(p.patient_fusion());
  return p;
}

std::vector<float> SeedPredictor::probs_of(const std::vector<std::vector<float>>& inputs) const {
  const int s = image_.input_size_px;
  std::vector<float> sum(class_names_.size(), 0.f);
  for (const Model& m : models_) {
    std::vector<float> p(sum.size(), 0.f);
    for (const auto& x : inputs) {  // SeedPreset::recording_probs: the views' mean softmax
      const auto q = softmax(m.net->logits(x, s, s));
      for (size_t k = 0; k < p.size() && k < q.size(); ++k) p[k] += q[k];
    }
    for (auto& x : p) x /= float(inputs.size());
    add_floored(sum, calibrated(std::move(p), m.temperature));
  }
  for (auto& x : sum) x /= float(models_.size());
  return sum;
}

std::vector<float> SeedPredictor::predict_audio(const audio::Audio& a) const {
  const audio::Audio at_rate = audio::at_rate(a, audio_.target_rate_hz);
  // As SeedPreset::answer_features: the picture's rows on the threads the network runs on.
  const int threads = util::openmp_threads();
  auto rows = [threads](size_t n, const std::function<void(size_t)>& body) { util::on_openmp_threads(n, threads, body); };
  std::vector<std::vector<float>> inputs;
  for (const auto& view : features::seed_pictures(features::log_mel(at_rate.samples, log_mel_), image_, eval_views_, rows))
    inputs.push_back(features::normalised_input(view, image_));
  return probs_of(inputs);
}

std::vector<float> SeedPredictor::predict_picture(const features::Image& picture) const {
  return probs_of({features::image_to_input(picture, image_)});  // SeedPreset::picture_input: no twin
}

std::vector<float> SeedPredictor::predict_file(const std::string& path) const {
  if (is_picture_file(path)) return predict_picture(features::read_png(path));
  return predict_audio(audio::load(path, audio_));
}

std::vector<float> SeedPredictor::fuse_patient(const std::vector<std::vector<float>>& recording_probs) const {
  return eval::fuse(recording_probs, patient_fusion());
}

}  // namespace murmur::infer
