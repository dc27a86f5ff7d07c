// ServeModel on LibTorch (torch_serve_model.h), and the Server that opens its model with it.
#include "serve/torch_serve_model.h"

#include "pipeline/explain.h"
#include "serve/batcher.h"
#include "serve/model_pool.h"
#include "util/error.h"

namespace murmur::serve {
namespace {

class TorchServeModel final : public ServeModel {
 public:
  TorchServeModel(const std::string& path, const ServerConfig& cfg)
      : pool_(path, cfg.model_copies),
        batcher_([this](const std::vector<torch::Tensor>& xs) {
                   return pool_.with([&](const pipeline::Predictor& p) { return p.predict_stored_batch(xs); });
                 },
                 BatchConfig{cfg.batch_window_ms, cfg.max_batch}, cfg.model_copies) {}

  const nlohmann::json& info() const override { return pool_.any().info(); }
  std::string preset_name() const override { return pool_.any().preset().name(); }
  const std::vector<std::string>& class_names() const override { return pool_.any().class_names(); }
  std::vector<float> thresholds() const override { return pool_.any().thresholds(); }
  double min_duration_s() const override { return pool_.any().preset().audio.min_duration_s; }

  Answer classify(const std::function<audio::Audio()>& decode, bool explain, const std::string& name) override {
    auto coming = batcher_.coming();  // a batch now forming may wait for this request
    const audio::Audio a = decode();
    // Features outside the pool (thread-safe, so workers overlap); only the network waits for a
    // model instance.
    const torch::Tensor stored = pool_.any().features_of(a);
    Answer out;
    if (!explain) {
      out.probs = pipeline::probabilities(batcher_.submit(coming, stored));
      return out;
    }
    { Batcher::Coming not_batched = std::move(coming); }  // withdrawn: batches need not wait
    // Why, by occlusion over the cardiac cycle and bands; its first pass is the answer.
    out.probs = pool_.with([&](const pipeline::Predictor& p) {
      try {
        const auto e = pipeline::explain_stored(p, a, stored, {}, name);
        out.explanation = pipeline::to_json(e);
        return pipeline::probabilities(e);
      } catch (const Error& e) {
        out.explanation = {{"unavailable", e.what()}};
        return pipeline::probabilities(p.predict_stored(stored));
      }
    });
    return out;
  }

  features::Image feature_picture(const audio::Audio& a) override {
    const auto& any = pool_.any();
    return any.preset().feature_picture(any.features_of(a));
  }

  BatchStats batch_stats() const override {
    const auto b = batcher_.stats();
    return {b.batches, b.recordings, b.largest};
  }

 private:
  ModelPool pool_;
  Batcher batcher_;  // concurrent requests share a forward pass (max_batch > 1)
};

}  // namespace

std::unique_ptr<ServeModel> torch_serve_model(const std::string& path, const ServerConfig& cfg) {
  cfg.validate();
  return std::make_unique<TorchServeModel>(path, cfg);
}

Server::Server(const std::string& model_path, const ServerConfig& cfg)
    : Server(model_path, torch_serve_model(model_path, cfg), cfg) {}

}  // namespace murmur::serve
