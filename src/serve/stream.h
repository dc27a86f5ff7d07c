// Real-time inference on a live stream: a rolling window over incoming audio, one result per
// hop, a signal-quality gate so a bad stethoscope contact is reported instead of classified,
// and a running patient-level estimate. Memory is bounded (a ring buffer of one window),
// whatever the stream's length. `murmur stream` is a thin wrapper of this.
//
//   auto predictor = murmur::pipeline::Predictor::open("model.pth");
//   murmur::serve::StreamConfig cfg;                 // 5 s window every 1 s
//   murmur::serve::StreamEngine engine(stream_model(predictor), /*input_rate_hz=*/4000, cfg);
//   for (auto& hop : engine.push(samples.data(), samples.size()))   // mono, [-1, 1]
//     std::cout << hop.to_json().dump() << "\n";                  // one line per hop
//   std::cout << engine.summary().dump() << "\n";
//
// The first hop is emitted once a full window has arrived (t = window_s), then every hop_s.
// The quality gate and its thresholds: audio/quality.h. The model is any classifier of a window
// of audio: LibTorch's Predictor (stream_model.h) or the launcher's oneDNN one (infer/).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "audio/audio.h"
#include "audio/quality.h"

namespace murmur::serve {

// The quality gate lives with the audio (the shift bench uses it too); stream and serve name it here.
using audio::assess_quality;
using audio::Quality;
using audio::StreamConfig;

struct HopResult {
  double time_s = 0;                          // stream time at the window's end
  Quality quality;
  std::optional<std::vector<double>> probabilities;  // [K]; absent when quality is not ok
  std::vector<double> patient_probabilities;  // mean over the ok hops so far; empty if none yet
  int n_ok_hops = 0;                          // hops in the patient estimate
  double latency_ms = 0;                      // compute time of this hop
  // {"time_s", "quality", "rms", "clipped_fraction", "high_band_fraction", "class",
  //  "probabilities" (null when not ok), "patient": {"class", "probabilities", "n_hops"}, "latency_ms"}
  // Multi-label models (thresholds given): "findings" and "verdict" too (pipeline::answer_json).
  nlohmann::ordered_json to_json(const std::vector<std::string>& class_names,
                                 const std::vector<float>& thresholds = {}) const;  // keys in this order
};

// What the engine classifies with: the model's outputs and one window's probabilities.
struct StreamModel {
  std::vector<std::string> class_names;
  std::vector<float> thresholds;  // multi-label models; else empty
  std::function<std::vector<double>(const audio::Audio&)> classify;  // [K], audio at any rate
};

class StreamEngine {
 public:
  // What `model` refers to must outlive the engine. input_rate_hz: rate of the samples pushed.
  StreamEngine(StreamModel model, int input_rate_hz, const StreamConfig& cfg = {});

  // Appends mono samples in [-1, 1]; returns the hops they complete (zero or more, in order).
  std::vector<HopResult> push(const float* samples, size_t n);

  // The final line: {"summary": true, "duration_s", "n_hops", "n_ok_hops", "quality_counts",
  // "class", "probabilities" (patient estimate; null if no hop was ok), "mean_latency_ms",
  // "max_latency_ms", "compute_s", "real_time_factor" (audio seconds per compute second)}.
  nlohmann::ordered_json summary() const;

  const std::vector<std::string>& class_names() const { return model_.class_names; }
  const std::vector<float>& thresholds() const { return model_.thresholds; }  // multi-label models
  size_t buffer_capacity() const { return ring_.size(); }   // samples: one window, fixed
  double duration_s() const { return double(n_seen_) / rate_hz_; }

 private:
  HopResult run_hop();

  StreamModel model_;
  StreamConfig cfg_;
  int rate_hz_;
  std::vector<float> ring_;          // the last window of samples; head_ is the oldest
  size_t head_ = 0;
  size_t n_seen_ = 0;                // samples pushed since the start
  size_t hop_samples_;
  size_t next_hop_at_;               // n_seen_ at which the next hop fires
  std::vector<double> patient_sum_;
  int n_hops_ = 0, n_ok_hops_ = 0;
  std::map<std::string, int> quality_counts_;
  double compute_s_ = 0, max_latency_ms_ = 0;
};

}  // namespace murmur::serve
