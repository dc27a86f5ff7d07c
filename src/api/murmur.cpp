// The installed interface (include/murmur/murmur.h) over murmur's pipeline: every answer is made
// by the same calls `murmur predict`, `segment` and `stream` make, so it is their text.
#include "murmur/murmur.h"

#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <mutex>
#include <thread>

#include "audio/audio.h"
#include "audio/quality.h"
#include "eval/fusion.h"
#include "pipeline/explain.h"
#include "pipeline/predictor.h"
#include "segment/segment.h"
#include "serve/stream_model.h"
#include "util/json.h"
#include "util/version.h"

namespace murmur {
namespace {

std::atomic<bool> g_threads_set{false};

Answer to_answer(nlohmann::json j, const std::vector<std::string>& names) {
  Answer a;
  a.label = j["class"].get<std::string>();
  a.class_names = names;
  for (const auto& n : names) a.probabilities.push_back(j["probabilities"][n].get<double>());
  if (j.contains("findings")) a.findings = j["findings"].get<std::vector<std::string>>();
  if (j.contains("verdict")) a.verdict = j["verdict"].get<std::string>();
  if (j.contains("quality")) a.quality = j["quality"]["status"].get<std::string>();
  a.json = util::json_text(j);
  return a;
}

}  // namespace

std::string version() { return std::string(MURMUR_VERSION) + " (" + util::git_commit() + ")"; }

void set_threads(int threads) {
  if (threads < 0) throw Error("set_threads: must be >= 0 (got " + std::to_string(threads) + ")");
  torch::set_num_threads(threads > 0 ? threads : int(std::max(1u, std::thread::hardware_concurrency())));
  g_threads_set = true;
}

struct Model::Impl {
  explicit Impl(pipeline::Predictor p) : predictor(std::move(p)) {}
  pipeline::Predictor predictor;
  mutable std::mutex network;  // a predictor's modules serve one call at a time

  // The preset's checks of a recording, which is kept at its own rate (for the quality gate).
  audio::LoadConfig load_config() const {
    audio::LoadConfig cfg = predictor.preset().audio;
    cfg.target_rate_hz = 0;
    return cfg;
  }
  audio::Audio checked(const float* samples, size_t n, int rate_hz, const std::string& name) const {
    return audio::from_samples(samples, n, rate_hz, name, load_config());
  }
  Answer answer(const torch::Tensor& probs, const audio::Audio& a, nlohmann::json extra = {}) const {
    nlohmann::json j = pipeline::answer_json(predictor.class_names(), probs, predictor.thresholds());
    j["quality"] = audio::assess_quality(a.samples, a.sample_rate_hz, audio::StreamConfig{});
    j["duration_s"] = a.duration_s();
    j["sample_rate_hz"] = a.sample_rate_hz;
    if (!extra.is_null()) j.update(extra);
    return to_answer(std::move(j), predictor.class_names());
  }
  Answer predict(const audio::Audio& a) const {
    const torch::Tensor stored = predictor.features_of(a);  // thread-safe: outside the lock
    torch::Tensor probs;
    {
      std::lock_guard<std::mutex> lock(network);
      probs = predictor.predict_stored(stored);
    }
    return answer(probs, a);
  }
};

Model Model::load(const std::string& path) {
  if (!g_threads_set) set_threads(0);
  Model m;
  m.impl_ = std::make_shared<const Impl>(pipeline::Predictor::open(path));
  return m;
}

Answer Model::predict(const float* samples, size_t n, int rate_hz, const std::string& name) const {
  return impl_->predict(impl_->checked(samples, n, rate_hz, name));
}

Answer Model::predict_file(const std::string& path) const {
  const std::string ext = std::filesystem::path(path).extension().string();
  if (ext == ".png" || ext == ".PNG") {  // a seed model's picture: no audio, no quality
    std::lock_guard<std::mutex> lock(impl_->network);
    return to_answer(pipeline::answer_json(class_names(), impl_->predictor.predict_file(path)), class_names());
  }
  return impl_->predict(audio::load(path, impl_->load_config()));
}

Answer Model::fuse(const std::vector<Answer>& recordings) const {
  if (recordings.empty()) throw Error("fuse: no recordings");
  std::vector<torch::Tensor> probs;
  for (const Answer& r : recordings) {
    if (r.probabilities.size() != class_names().size())
      throw Error("fuse: an answer has " + std::to_string(r.probabilities.size()) + " probabilities, the model " +
                  std::to_string(class_names().size()) + " classes");
    probs.push_back(torch::tensor(r.probabilities, torch::kDouble));
  }
  const auto fused = impl_->predictor.fuse_patient(probs);
  nlohmann::json j = pipeline::answer_json(class_names(), std::vector<double>(fused.begin(), fused.end()),
                                           impl_->predictor.thresholds());
  j["recordings"] = recordings.size();
  return to_answer(std::move(j), class_names());
}

Answer Model::explain(const float* samples, size_t n, int rate_hz, const std::string& name) const {
  const audio::Audio a = impl_->checked(samples, n, rate_hz, name);
  const auto& p = impl_->predictor;
  if (!p.preset().occludable())
    throw Error("explain: a " + p.preset().name() + " model's features have no time and frequency axes of "
                "their own to mask (presets native and valves can be explained)");
  const audio::Audio at_model_rate = audio::at_rate(a, p.preset().audio.target_rate_hz);
  pipeline::Explanation e;
  {
    std::lock_guard<std::mutex> lock(impl_->network);
    e = pipeline::explain(p, at_model_rate, {}, name);
  }
  return impl_->answer(torch::tensor(pipeline::probabilities(e), torch::kDouble), a,
                       {{"explanation", pipeline::to_json(e)}});
}

const std::vector<std::string>& Model::class_names() const { return impl_->predictor.class_names(); }
std::string Model::preset() const { return impl_->predictor.preset().name(); }
std::string Model::fusion() const { return eval::fusion_name(impl_->predictor.preset().patient_fusion()); }
std::string Model::info_json() const { return util::json_text(impl_->predictor.info()); }

HeartCycles heart_cycles(const float* samples, size_t n, int rate_hz, const std::string& name) {
  const audio::Audio a = audio::from_samples(samples, n, rate_hz, name);
  const segment::Segmentation s = segment::segment(a.samples, a.sample_rate_hz, {}, name);
  HeartCycles out;
  out.heart_rate_bpm = s.heart_rate_bpm;
  out.systolic_interval_s = s.systolic_interval_s;
  for (const auto& g : s.segments) out.phases.push_back({segment::state_name(g.state), g.start_s, g.end_s, g.censored});
  out.json = util::json_text(segment::to_json(s, /*with_states=*/true));
  return out;
}

struct Stream::Impl {
  Impl(std::shared_ptr<const Model::Impl> m, int rate_hz, const audio::StreamConfig& cfg)
      : model(std::move(m)), engine(serve::stream_model(model->predictor), rate_hz, cfg) {}
  std::shared_ptr<const Model::Impl> model;  // kept loaded while the stream runs
  serve::StreamEngine engine;
};

Stream::Stream(const Model& model, int rate_hz, double window_s, double hop_s) {
  if (rate_hz < 1000 || rate_hz > 384000)
    throw Error("Stream: rate " + std::to_string(rate_hz) + " Hz: must be in [1000, 384000] Hz");
  audio::StreamConfig cfg;
  cfg.window_s = window_s;
  cfg.hop_s = hop_s;
  cfg.validate();
  impl_ = std::make_unique<Impl>(model.impl_, rate_hz, cfg);
}
Stream::~Stream() = default;
Stream::Stream(Stream&&) noexcept = default;

std::vector<std::string> Stream::push(const float* samples, size_t n) {
  std::vector<std::string> lines;
  std::vector<serve::HopResult> hops;
  {
    std::lock_guard<std::mutex> lock(impl_->model->network);
    hops = impl_->engine.push(samples, n);
  }
  for (const auto& h : hops)
    lines.push_back(util::json_text(h.to_json(impl_->engine.class_names(), impl_->engine.thresholds())));
  return lines;
}

std::string Stream::summary() const { return util::json_text(impl_->engine.summary()); }

}  // namespace murmur
