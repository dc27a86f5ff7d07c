// ServeModel on the native engine, without LibTorch (serve_model.h).
#include "infer/native_predictor.h"
#include "serve/serve_model.h"
#include "util/error.h"

namespace murmur::serve {
namespace {

class NativeServeModel final : public ServeModel {
 public:
  NativeServeModel(infer::NativePredictor p, int threads) : p_(std::move(p)), threads_(threads) {}

  const nlohmann::json& info() const override { return p_.info(); }
  std::string preset_name() const override { return p_.preset_name(); }
  const std::vector<std::string>& class_names() const override { return p_.class_names(); }
  std::vector<float> thresholds() const override { return p_.thresholds(); }
  double min_duration_s() const override { return p_.audio_config().min_duration_s; }

  Answer classify(const std::function<audio::Audio()>& decode, bool explain, const std::string& name) override {
    infer::set_engine_threads(threads_);  // this worker thread's own
    const audio::Audio a = decode();
    const auto in = p_.input_of(a);
    Answer out;
    if (explain) {
      // Its first pass is the answer.
      try {
        const auto e = p_.explain(a, &in, {}, name);
        out.explanation = pipeline::to_json(e);
        out.probs = pipeline::probabilities(e);
        return out;
      } catch (const Error& e) {
        out.explanation = {{"unavailable", e.what()}};
      }
    }
    const auto p = p_.predict_input(in);
    out.probs.assign(p.begin(), p.end());
    return out;
  }

  features::Image feature_picture(const audio::Audio& a) override {
    return p_.feature_picture(p_.input_of(a));
  }

 private:
  const infer::NativePredictor p_;  // thread-safe: nothing in it changes after open()
  int threads_;
};

}  // namespace

std::unique_ptr<ServeModel> native_serve_model(const std::string& path, int threads, std::string* why_not) {
  auto p = infer::NativePredictor::open(path, why_not);
  if (!p) return nullptr;
  return std::make_unique<NativeServeModel>(std::move(*p), threads);
}

}  // namespace murmur::serve
