#include "serve/stream.h"

#include <algorithm>
#include <cmath>

#include "pipeline/answer.h"
#include "util/error.h"

namespace murmur::serve {

namespace {


// {"class", "probabilities"} of probs into j (the one probabilities-to-JSON helper), or nulls.
void put_answer(nlohmann::ordered_json& j, const std::vector<double>* probs, const std::vector<std::string>& names,
                const std::vector<float>& thresholds) {
  if (!probs) {
    j["class"] = nullptr;
    j["probabilities"] = nullptr;
    return;
  }
  nlohmann::json a = pipeline::answer_json(names, *probs, thresholds);
  j["class"] = a["class"];
  j["probabilities"] = a["probabilities"];
  for (const char* key : {"findings", "verdict"})
    if (a.contains(key)) j[key] = a[key];
}

}  // namespace

nlohmann::ordered_json HopResult::to_json(const std::vector<std::string>& names,
                                          const std::vector<float>& thresholds) const {
  nlohmann::ordered_json j = {{"time_s", time_s}, {"quality", quality.status}, {"rms", quality.rms},
                      {"clipped_fraction", quality.clipped_fraction},
                      {"high_band_fraction", quality.high_band_fraction}};
  put_answer(j, probabilities ? &*probabilities : nullptr, names, thresholds);
  nlohmann::ordered_json patient;
  put_answer(patient, patient_probabilities.empty() ? nullptr : &patient_probabilities, names, thresholds);
  patient["n_hops"] = n_ok_hops;
  j["patient"] = patient;
  j["latency_ms"] = latency_ms;
  return j;
}

StreamEngine::StreamEngine(StreamModel model, int input_rate_hz, const StreamConfig& cfg)
    : model_(std::move(model)), cfg_(cfg), rate_hz_(input_rate_hz) {
  cfg_.validate();
  if (input_rate_hz < 1000 || input_rate_hz > 384000)
    throw Error("stream: rate " + std::to_string(input_rate_hz) + " Hz: must be in [1000, 384000] Hz");
  ring_.assign(std::max<size_t>(1, size_t(std::lround(cfg_.window_s * rate_hz_))), 0.f);
  hop_samples_ = std::max<size_t>(1, size_t(std::lround(cfg_.hop_s * rate_hz_)));
  next_hop_at_ = ring_.size();
  patient_sum_.assign(model_.class_names.size(), 0.0);
}

std::vector<HopResult> StreamEngine::push(const float* samples, size_t n) {
  std::vector<HopResult> out;
  while (n > 0) {
    // Copy up to the next hop boundary, so every hop sees exactly the window ending there.
    size_t take = std::min(n, next_hop_at_ - n_seen_);
    for (size_t i = 0; i < take; ++i) {
      ring_[head_] = samples[i];
      head_ = head_ + 1 == ring_.size() ? 0 : head_ + 1;
    }
    samples += take;
    n -= take;
    n_seen_ += take;
    if (n_seen_ == next_hop_at_) {
      out.push_back(run_hop());
      next_hop_at_ += hop_samples_;
    }
  }
  return out;
}

HopResult StreamEngine::run_hop() {
  auto t0 = std::chrono::steady_clock::now();
  audio::Audio window;
  window.sample_rate_hz = window.source_rate_hz = rate_hz_;
  window.source_channels = 1;
  window.samples.reserve(ring_.size());
  window.samples.insert(window.samples.end(), ring_.begin() + long(head_), ring_.end());
  window.samples.insert(window.samples.end(), ring_.begin(), ring_.begin() + long(head_));

  HopResult hop;
  hop.time_s = double(n_seen_) / rate_hz_;
  hop.quality = assess_quality(window.samples, rate_hz_, cfg_);
  if (hop.quality.ok()) {
    std::vector<double> probs = model_.classify(window);
    for (size_t k = 0; k < probs.size() && k < patient_sum_.size(); ++k) patient_sum_[k] += probs[k];
    ++n_ok_hops_;
    hop.probabilities = std::move(probs);
  }
  ++n_hops_;
  quality_counts_[hop.quality.status]++;
  hop.n_ok_hops = n_ok_hops_;
  if (n_ok_hops_ > 0)
    for (double s : patient_sum_) hop.patient_probabilities.push_back(s / n_ok_hops_);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  compute_s_ += seconds;
  hop.latency_ms = seconds * 1e3;
  max_latency_ms_ = std::max(max_latency_ms_, hop.latency_ms);
  return hop;
}

nlohmann::ordered_json StreamEngine::summary() const {
  const auto& names = model_.class_names;
  nlohmann::ordered_json j = {{"summary", true}, {"duration_s", duration_s()}, {"n_hops", n_hops_},
                      {"n_ok_hops", n_ok_hops_}, {"quality_counts", quality_counts_}};
  std::vector<double> p;
  for (double s : patient_sum_) p.push_back(s / std::max(1, n_ok_hops_));
  put_answer(j, n_ok_hops_ > 0 ? &p : nullptr, names, model_.thresholds);
  j["mean_latency_ms"] = n_hops_ ? compute_s_ * 1e3 / n_hops_ : 0.0;
  j["max_latency_ms"] = max_latency_ms_;
  j["compute_s"] = compute_s_;
  j["real_time_factor"] = compute_s_ > 0 ? duration_s() / compute_s_ : 0.0;
  return j;
}

}  // namespace murmur::serve
