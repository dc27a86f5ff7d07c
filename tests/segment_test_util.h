// Synthetic recordings with known heart-cycle states for the segmenter's tests and for refitting
// its emission model (segment_test.cpp, segment_emission_test.cpp).
//
//   SegmentCase c = draw_segment_case(seed, /*heart_rate_bpm=*/0);   // 0: drawn in 45-160 bpm
//   std::vector<synth::CardiacCycle> truth;
//   std::vector<float> pcm = render(c, truth);                       // synth + white noise at c.snr_db
//   OnsetCounts s1 = match_onsets(truth_s1, detected_s1, c.duration_s);  // +-50 ms
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "data/recording.h"
#include "segment/segment.h"
#include "synth/synth.h"
#include "synth/synth_internal.h"

namespace murmur::test {

struct SegmentCase {
  int cls = 0;  // data::kClassNames index
  std::string site = "Aor", position = "sit";
  synth::PatientParams patient;
  uint64_t seed = 1;
  double snr_db = 20;
  int rate_hz = 4000;
  double duration_s = 10;
};

// A drawn case: any class, site and position; heart rate heart_rate_bpm (0: uniform in 45-160);
// white noise at 10-30 dB SNR (against the synthetic recording's own power, its own noise
// included); 2 or 4 kHz. The synthesiser's systole (a fixed share of the cycle) would leave
// 120 ms between S1 and S2 at 160 bpm; here the S1-S2 interval follows the square root of the RR
// interval (0.28-0.34 s at 72 bpm, ~0.2 s at 160 bpm), as QT and systole shorten with rate.
inline SegmentCase draw_segment_case(uint64_t seed, double heart_rate_bpm = 0) {
  synth::detail::Rng rng(seed * 0x9E3779B97F4A7C15ULL + 17);
  SegmentCase c;
  c.seed = seed;
  c.cls = static_cast<int>(rng.uniform() * 5);
  c.site = data::kSites[static_cast<int>(rng.uniform() * 4)];
  c.position = rng.uniform() < 0.5 ? "sit" : "sup";
  c.patient = synth::draw_patient(seed, 1);
  c.patient.heart_rate_bpm = heart_rate_bpm > 0 ? heart_rate_bpm : rng.uniform(45, 160);
  double rr_s = 60 / c.patient.heart_rate_bpm;
  c.patient.systole_fraction = rng.uniform(0.28, 0.34) * std::sqrt(rr_s / 0.833) / rr_s;
  c.snr_db = rng.uniform(10, 30);
  c.rate_hz = rng.uniform() < 0.33 ? 2000 : 4000;
  return c;
}

inline std::vector<float> render(const SegmentCase& c, std::vector<synth::CardiacCycle>& cycles) {
  synth::SynthConfig cfg;
  cfg.sample_rate_hz = c.rate_hz;
  cfg.duration_s = c.duration_s;
  std::vector<float> x = synth::synth_recording(c.cls, c.site, c.position, c.patient, c.seed, cfg);
  cycles = synth::cardiac_cycles(c.patient, c.position, c.seed, c.duration_s);
  double power = 0;
  for (float v : x) power += double(v) * v / x.size();
  const double noise_sd = std::sqrt(power / std::pow(10, c.snr_db / 10));
  synth::detail::Rng rng(c.seed ^ 0x5EC5EC5EULL);
  for (float& v : x) v += static_cast<float>(noise_sd * rng.normal());
  return x;
}

// Training labels per 50 Hz frame (state at the frame's centre): S1 for the first 100 ms after its
// onset (M1 then T1, each ringing ~70 ms), S2 for 90 ms after A2 (A2, the split, P2), systole and
// diastole between; -1 before the first complete cycle's S1.
inline std::vector<int> frame_labels(const std::vector<synth::CardiacCycle>& cycles, int n_frames) {
  std::vector<int> labels(n_frames, -1);
  for (int t = 0; t < n_frames; ++t) {
    double tc = (t + 0.5) / segment::kFrameRateHz;
    for (const auto& c : cycles)
      if (tc >= c.s1_s && tc < c.next_s1_s)
        labels[t] = tc < c.s1_s + 0.10 ? 0 : tc < c.s2_s ? 1 : tc < c.s2_s + 0.09 ? 2 : 3;
  }
  return labels;
}

struct OnsetCounts {
  int tp = 0, fp = 0, fn = 0;
  double f1() const { return 2.0 * tp / std::max(1, 2 * tp + fp + fn); }
  void add(const OnsetCounts& o) { tp += o.tp, fp += o.fp, fn += o.fn; }
};

// One-to-one matching of detected to true onsets within tolerance_s (nearest first). Onsets in
// the first and last 100 ms are left out: a sound cut by the recording's edge has no onset.
inline OnsetCounts match_onsets(const std::vector<double>& truth, const std::vector<double>& detected,
                                double duration_s, double tolerance_s = 0.05) {
  const double edge_s = 0.1;
  auto inside = [&](double t) { return t >= edge_s && t <= duration_s - edge_s; };
  OnsetCounts c;
  std::vector<bool> used(detected.size(), false);
  for (double t : truth) {
    int best = -1;
    double best_d = tolerance_s;
    for (size_t i = 0; i < detected.size(); ++i)
      if (!used[i] && std::abs(detected[i] - t) <= best_d) best_d = std::abs(detected[i] - t), best = static_cast<int>(i);
    if (best >= 0) used[best] = true;
    if (inside(t)) (best >= 0 ? c.tp : c.fn)++;
  }
  for (size_t i = 0; i < detected.size(); ++i)
    if (!used[i] && inside(detected[i])) c.fp++;
  return c;
}

// Onsets of the detected S1 (or S2) segments that start inside the recording.
inline std::vector<double> detected_onsets(const segment::Segmentation& s, segment::State state) {
  std::vector<double> out;
  for (const auto& g : s.segments)
    if (g.state == state && g.start_s > 0) out.push_back(g.start_s);
  return out;
}

}  // namespace murmur::test
