// Signal quality of a window of heart-sound audio: is the stethoscope on the chest, unsaturated
// and quiet enough to classify? Used by `murmur stream` on every window, by `serve` per upload and
// by the shift bench (experiment/shift_bench.h), which answers "unusable recording" where it fails.
//
//   murmur::audio::StreamConfig cfg;                             // thresholds below
//   murmur::audio::Quality q = assess_quality(samples, 4000, cfg);
//   if (!q.ok()) std::cerr << q.status << "\n";                  // "clipping", "silence", ...
//
// Quality (checked on each window, in this order; the first failing check names the window):
//   "non-finite" a NaN or infinite sample (a broken float stream): the measures below are
//               taken over the finite samples, and the window is never classified.
//   "clipping"  more than clip_max_fraction of samples at |x| >= clip_level (a saturated
//               contact or a knock on the chest piece). BMD-HS files are peak-normalised and
//               have ~0.01 % of samples at full scale, so 1 % is far from normal recordings.
//   "silence"   RMS below silence_rms (-60 dBFS; BMD-HS's quietest files sit near -26 dBFS):
//               the chest piece is off the skin or the input is muted.
//   "noisy"     more than noise_max_fraction of the energy above noise_cutoff_hz (a 2nd-order
//               high-pass). Heart sounds and murmurs live below ~600 Hz; rubbing, speech and
//               hiss put energy above it. BMD-HS windows have < 0.01 % there.
// A window that fails a check gets no classification (the model is not run on it) and does
// not count in the patient estimate. There is no periodicity check: short arrhythmic stretches
// are legitimate, and the three checks above catch the common bad contacts.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace murmur::audio {

struct StreamConfig {
  double window_s = 5.0;             // audio each classification sees (>= the model's window)
  double hop_s = 1.0;                // a result every hop
  double clip_level = 0.99;          // |x| at or above this counts as clipped
  double clip_max_fraction = 0.01;   // more clipped samples than this: "clipping"
  double silence_rms = 1e-3;         // RMS below this (-60 dBFS): "silence"
  double noise_cutoff_hz = 600;      // above the heart-sound and murmur band
  double noise_max_fraction = 0.5;   // more of the energy above the cutoff: "noisy"
  void validate() const;             // murmur::Error "--flag: rule (got value)" (the CLI flag)
};

void to_json(nlohmann::json& j, const StreamConfig& c);

// The signal measures of one window and the verdict.
struct Quality {
  std::string status = "ok";         // "ok", "non-finite", "clipping", "silence" or "noisy"
  size_t non_finite = 0;             // NaN or infinite samples
  double rms = 0;
  double clipped_fraction = 0;
  double high_band_fraction = 0;     // energy above noise_cutoff_hz / total energy
  bool ok() const { return status == "ok"; }
};

void to_json(nlohmann::json& j, const Quality& q);  // {"status", "rms", "clipped_fraction", "high_band_fraction"}

// Measures one window of mono samples at rate_hz against cfg's thresholds.
Quality assess_quality(const std::vector<float>& window, int rate_hz, const StreamConfig& cfg);

}  // namespace murmur::audio
