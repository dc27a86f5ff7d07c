// What the service (server.h) asks of a model: its description, an answer (with an explanation
// when asked) for an upload, and its input as a picture. Two kinds: LibTorch's Predictor, for
// every preset, with model copies and micro-batching (serve/torch_serve_model.h, murmur-torch),
// and the native engine without LibTorch (native-family models; what `murmur serve` runs).
//
//   std::string why;
//   std::unique_ptr<ServeModel> m = native_serve_model("model.pth", /*threads=*/1, &why);
//   if (!m) ...;                                          // why: a model it does not run
//   ServeModel::Answer a = m->classify([&] { return decode(upload); }, /*explain=*/true, "a.wav");
//   a.probs;          // [K], class order
//   a.explanation;    // pipeline::to_json(Explanation), or {"unavailable": why}; null unless asked
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "audio/audio.h"
#include "features/png.h"

namespace murmur::serve {

class ServeModel {
 public:
  virtual ~ServeModel() = default;
  // Predictor::info()'s document: models (path, epoch, provenance), preset, classes, fusion.
  virtual const nlohmann::json& info() const = 0;
  virtual std::string preset_name() const = 0;
  virtual const std::vector<std::string>& class_names() const = 0;
  virtual std::vector<float> thresholds() const = 0;  // multi-label outputs' thresholds, else empty
  virtual double min_duration_s() const = 0;          // shorter uploads are refused (422)

  struct Answer {
    std::vector<double> probs;
    nlohmann::json explanation;  // null unless asked
  };
  // decode() runs first, on the calling thread (an upload's bytes into audio; what it throws is
  // thrown); answers requests of several threads at once. An explanation that cannot be made (a
  // seed model, a clip too short to segment) costs no answer: {"unavailable": why}.
  virtual Answer classify(const std::function<audio::Audio()>& decode, bool explain, const std::string& name) = 0;
  virtual features::Image feature_picture(const audio::Audio& audio) = 0;  // what the network sees

  struct BatchStats {
    uint64_t batches = 0, recordings = 0;
    int largest = 0;
  };
  virtual BatchStats batch_stats() const { return {}; }  // micro-batching's (none: zeros)
};

// The native engine's (infer/native_predictor.h), each request on `threads` oneDNN threads; null
// (and *why_not) for a model it does not run: another preset, the reference's checkpoint.
std::unique_ptr<ServeModel> native_serve_model(const std::string& path, int threads, std::string* why_not = nullptr);

}  // namespace murmur::serve
