#include "serve/stream.h"

#include <algorithm>
#include <cmath>

#include "util/error.h"

namespace murmur::serve {

namespace {

void check(bool ok, const std::string& field, double value, const std::string& problem) {
  if (!ok) throw Error("stream: " + field + ": " + std::to_string(value) + ": " + problem);
}

// Energy above cutoff_hz over total energy, with an RBJ-cookbook 2nd-order Butterworth
// high-pass (Q = 1/sqrt(2)); a filter rather than an FFT so windows of any length work alike.
double high_band_fraction(const std::vector<float>& x, int rate_hz, double cutoff_hz) {
  if (cutoff_hz >= rate_hz / 2.0) return 0;
  const double w0 = 2 * M_PI * cutoff_hz / rate_hz, alpha = std::sin(w0) / (2 * M_SQRT1_2);
  const double c = std::cos(w0), a0 = 1 + alpha;
  const double b0 = (1 + c) / 2 / a0, b1 = -(1 + c) / a0, b2 = b0, a1 = -2 * c / a0, a2 = (1 - alpha) / a0;
  double x1 = 0, x2 = 0, y1 = 0, y2 = 0, high = 0, total = 0;
  for (float s : x) {
    double y = b0 * s + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
    x2 = x1, x1 = s, y2 = y1, y1 = y;
    high += y * y;
    total += double(s) * s;
  }
  return total > 0 ? high / total : 0;
}

std::string argmax_name(const std::vector<double>& p, const std::vector<std::string>& names) {
  return names[size_t(std::max_element(p.begin(), p.end()) - p.begin())];
}

nlohmann::ordered_json named(const std::vector<double>& p, const std::vector<std::string>& names) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (size_t k = 0; k < p.size() && k < names.size(); ++k) j[names[k]] = p[k];
  return j;
}

}  // namespace

void StreamConfig::validate() const {
  check(window_s > 0 && window_s <= 600, "window_s", window_s, "must be in (0, 600] s");
  check(hop_s > 0 && hop_s <= window_s, "hop_s", hop_s, "must be in (0, window_s]");
  check(clip_level > 0 && clip_level <= 1, "clip_level", clip_level, "must be in (0, 1]");
  check(clip_max_fraction >= 0 && clip_max_fraction <= 1, "clip_max_fraction", clip_max_fraction, "must be in [0, 1]");
  check(silence_rms >= 0, "silence_rms", silence_rms, "must be >= 0");
  check(noise_cutoff_hz > 0, "noise_cutoff_hz", noise_cutoff_hz, "must be > 0");
  check(noise_max_fraction >= 0 && noise_max_fraction <= 1, "noise_max_fraction", noise_max_fraction,
        "must be in [0, 1]");
}

void to_json(nlohmann::json& j, const StreamConfig& c) {
  j = {{"window_s", c.window_s}, {"hop_s", c.hop_s}, {"clip_level", c.clip_level},
       {"clip_max_fraction", c.clip_max_fraction}, {"silence_rms", c.silence_rms},
       {"noise_cutoff_hz", c.noise_cutoff_hz}, {"noise_max_fraction", c.noise_max_fraction}};
}

Quality assess_quality(const std::vector<float>& window, int rate_hz, const StreamConfig& cfg) {
  Quality q;
  if (window.empty()) {
    q.status = "silence";
    return q;
  }
  double sum2 = 0;
  size_t clipped = 0;
  for (float s : window) {
    sum2 += double(s) * s;
    if (std::fabs(s) >= cfg.clip_level) ++clipped;
  }
  q.rms = std::sqrt(sum2 / double(window.size()));
  q.clipped_fraction = double(clipped) / double(window.size());
  q.high_band_fraction = high_band_fraction(window, rate_hz, cfg.noise_cutoff_hz);
  if (q.clipped_fraction > cfg.clip_max_fraction) q.status = "clipping";
  else if (q.rms < cfg.silence_rms) q.status = "silence";
  else if (q.high_band_fraction > cfg.noise_max_fraction) q.status = "noisy";
  return q;
}

nlohmann::ordered_json HopResult::to_json(const std::vector<std::string>& names) const {
  nlohmann::ordered_json j = {{"time_s", time_s}, {"quality", quality.status}, {"rms", quality.rms},
                      {"clipped_fraction", quality.clipped_fraction},
                      {"high_band_fraction", quality.high_band_fraction}};
  if (probabilities) {
    j["class"] = argmax_name(*probabilities, names);
    j["probabilities"] = named(*probabilities, names);
  } else {
    j["class"] = nullptr;
    j["probabilities"] = nullptr;
  }
  nlohmann::ordered_json patient;
  if (patient_probabilities.empty()) {
    patient["class"] = nullptr;
    patient["probabilities"] = nullptr;
  } else {
    patient["class"] = argmax_name(patient_probabilities, names);
    patient["probabilities"] = named(patient_probabilities, names);
  }
  patient["n_hops"] = n_ok_hops;
  j["patient"] = patient;
  j["latency_ms"] = latency_ms;
  return j;
}

StreamEngine::StreamEngine(const train::Predictor& predictor, int input_rate_hz, const StreamConfig& cfg)
    : predictor_(predictor), cfg_(cfg), rate_hz_(input_rate_hz) {
  cfg_.validate();
  if (input_rate_hz < 1000 || input_rate_hz > 384000)
    throw Error("stream: rate " + std::to_string(input_rate_hz) + " Hz: must be in [1000, 384000] Hz");
  ring_.assign(std::max<size_t>(1, size_t(std::lround(cfg_.window_s * rate_hz_))), 0.f);
  hop_samples_ = std::max<size_t>(1, size_t(std::lround(cfg_.hop_s * rate_hz_)));
  next_hop_at_ = ring_.size();
  patient_sum_.assign(predictor_.class_names().size(), 0.0);
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
    torch::Tensor p = predictor_.predict_audio(window).to(torch::kDouble).contiguous();
    std::vector<double> probs(p.data_ptr<double>(), p.data_ptr<double>() + p.numel());
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
  const auto& names = predictor_.class_names();
  nlohmann::ordered_json j = {{"summary", true}, {"duration_s", duration_s()}, {"n_hops", n_hops_},
                      {"n_ok_hops", n_ok_hops_}, {"quality_counts", quality_counts_}};
  if (n_ok_hops_ > 0) {
    std::vector<double> p;
    for (double s : patient_sum_) p.push_back(s / n_ok_hops_);
    j["class"] = argmax_name(p, names);
    j["probabilities"] = named(p, names);
  } else {
    j["class"] = nullptr;
    j["probabilities"] = nullptr;
  }
  j["mean_latency_ms"] = n_hops_ ? compute_s_ * 1e3 / n_hops_ : 0.0;
  j["max_latency_ms"] = max_latency_ms_;
  j["compute_s"] = compute_s_;
  j["real_time_factor"] = compute_s_ > 0 ? duration_s() / compute_s_ : 0.0;
  return j;
}

}  // namespace murmur::serve
