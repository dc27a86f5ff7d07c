#include "pipeline/predictor.h"

#include <algorithm>
#include <filesystem>

#include "data/recording.h"
#include "model/checkpoint.h"
#include "pipeline/registry.h"
#include "util/error.h"
#include "util/number_text.h"

namespace murmur::pipeline {

namespace fs = std::filesystem;

Predictor Predictor::open(const std::string& path, const std::vector<std::string>& eval_overrides) {
  for (const auto& o : eval_overrides)
    if (o.rfind("eval.", 0) != 0)
      throw Error("--set '" + o + "': only eval.* settings can change for a trained model (the others decide what it "
                  "was trained on)");
  std::vector<std::string> files;
  if (fs::is_directory(path)) {
    for (auto& e : fs::recursive_directory_iterator(path))
      if (e.path().filename() == "model.pth") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    if (files.empty()) throw Error(path + ": no model.pth inside (expected a model file or a cv run folder)");
  } else {
    files.push_back(path);
  }
  Predictor p;
  for (auto& file : files) {
    model::Checkpoint ck = model::read_checkpoint(file);
    // The reference's own checkpoint carries no config: it is the seed design.
    PresetPtr preset = ck.murmur_config.is_object() ? preset_from_json(ck.murmur_config) : reference_preset();
    if (!eval_overrides.empty()) preset = with_overrides(*preset, eval_overrides);
    if (!p.models_.empty() && (p.preset().feature_json() != preset->feature_json() ||
                               p.preset().name() != preset->name() || p.class_names_ != ck.class_names))
      throw Error(file + ": its preset or classes differ from " + files.front() + "'s; an ensemble needs one preset");
    p.class_names_ = ck.class_names;
    for (int64_t k = 0; k < ck.n_members; ++k) {  // an ensemble file holds several models
      const std::string source = ck.n_members > 1 ? file + " member " + std::to_string(k) : file;
      Model m = Model::fresh(preset);
      model::load_into(*m.net.module, ck.n_members > 1 ? model::member_state(ck.state_dict, k) : ck.state_dict, source);
      m.net.module->eval();
      m.net = preset->for_inference(m.net);  // inference only from here
      p.models_.push_back(std::move(m));
    }
    p.info_["models"].push_back({{"path", file}, {"preset", preset->name()}, {"epoch", ck.epoch},
                                 {"val_acc", ck.val_acc}, {"members", ck.n_members}, {"provenance", ck.provenance}});
  }
  p.info_["preset"] = p.preset().to_json();
  p.info_["class_names"] = p.class_names_;
  if (auto t = p.thresholds(); !t.empty()) p.info_["thresholds"] = t;  // what answers use (fold mean)
  p.info_["n_models"] = p.models_.size();
  p.info_["patient_fusion"] = eval::fusion_name(p.preset().patient_fusion());
  return p;
}

torch::Tensor Predictor::mean_over_models(const std::function<torch::Tensor(const Model&)>& probs) const {
  torch::Tensor sum;
  for (auto& m : models_) {
    auto p = probs(m);
    sum = sum.defined() ? sum + p : p;
  }
  return sum / double(models_.size());
}

torch::Tensor Predictor::predict_stored(const torch::Tensor& stored) const {
  return mean_over_models([&](const Model& m) { return m.recording_probs(stored); });
}

std::vector<torch::Tensor> Predictor::predict_stored_batch(const std::vector<torch::Tensor>& stored) const {
  std::vector<torch::Tensor> sum;
  for (const Model& m : models_) {
    auto probs = m.batch_probs(stored);
    if (sum.empty()) sum = std::move(probs);
    else
      for (size_t i = 0; i < sum.size(); ++i) sum[i] = sum[i] + probs[i];
  }
  for (auto& p : sum) p = p / double(models_.size());
  return sum;
}

torch::Tensor Predictor::features_of(const audio::Audio& a) const {
  return preset().answer_features(audio::at_rate(a, preset().audio.target_rate_hz));
}

torch::Tensor Predictor::predict_audio(const audio::Audio& a) const { return predict_stored(features_of(a)); }

torch::Tensor Predictor::predict_file(const std::string& path) const {
  const std::string ext = fs::path(path).extension().string();
  if (ext == ".png" || ext == ".PNG") {
    auto input = preset().picture_input(features::read_png(path), path);
    torch::NoGradGuard no_grad;
    return mean_over_models([&](const Model& m) {
      ensure_eval(*m.net.module);
      return m.calibrated(torch::softmax(m.net.forward(input), 1)[0]);  // as its recordings are
    });
  }
  return predict_stored(preset().answer_features(audio::load(path, preset().audio)));
}

std::vector<float> Predictor::fuse_patient(const std::vector<torch::Tensor>& recording_probs) const {
  std::vector<std::vector<float>> rows;
  for (auto& t : recording_probs) {
    auto c = t.to(torch::kFloat).contiguous();
    rows.emplace_back(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  }
  return eval::fuse(rows, preset().patient_fusion());
}

std::vector<float> Predictor::thresholds() const {
  std::vector<float> mean;
  for (const Model& m : models_) {
    auto t = m.preset->thresholds();
    if (mean.empty()) mean.assign(t.size(), 0.f);
    for (size_t k = 0; k < t.size() && k < mean.size(); ++k) mean[k] += t[k] / float(models_.size());
  }
  return mean;
}

nlohmann::json answer_json(const std::vector<std::string>& names, const torch::Tensor& probs,
                           const std::vector<float>& thresholds) {
  auto d = probs.to(torch::kDouble).contiguous();
  return answer_json(names, std::vector<double>(d.data_ptr<double>(), d.data_ptr<double>() + d.numel()), thresholds);
}

}  // namespace murmur::pipeline
