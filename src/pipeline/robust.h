// Robustness training (preset native): another stethoscope's response, room noise and clipping
// distortion, simulated on standardised log-mel features so the feature cache stays as it is.
//
//   RobustConfig cfg;  cfg.response_p = cfg.noise_p = cfg.distortion_p = 0.5;
//   MelBands bands = MelBands::of(log_mel_config);
//   x = robust_augment(x, cfg, bands, 4000.0 / 128);  // [B, C, F, T], channel 0 changed
//
// Each item is turned back into dB with an assumed spread (the features were standardised, which
// hides a recording's dB standard deviation; murmur's features of BMD-HS have 18-29 dB), then in
// mel power: a random response multiplies it, noise or distortion is added, and the result is
// standardised again. Adding powers is exact in expectation (a signal and independent noise add
// in power, band by band); each noise cell fluctuates as the power of that band's FFT bins would.
//
// Drawn from ranges other than the shift bench's fixed points (audio/shift.h), so the bench does
// not test what training saw:
// - response: a second-order high-pass at 15-150 Hz, a low-pass at 250-1500 Hz (both log-uniform)
//   and a low shelf of -8..+8 dB at 80-300 Hz: a continuum, not the bench's three fixed modes;
// - noise: a random spectral slope (-9..+3 dB/octave, not the bench's white/pink/brown), a random
//   envelope (steady, a swell every 2-8 s, or bursts of 1-3 frames at 0.5-4 per second), at
//   snr_lo_db..snr_hi_db over the item's mean band power;
// - distortion: noise whose frame power follows the signal's (what clipping adds where the heart
//   sounds are loud), slope -6..0 dB/octave, at sdr_lo_db..sdr_hi_db.
// Deterministic: every draw comes from LibTorch's global generator.
#pragma once

#include <torch/torch.h>

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "features/log_mel.h"

namespace murmur::pipeline {

struct RobustConfig {
  double response_p = 0;                      // probability per item of a random response
  double noise_p = 0;                         // of additive noise
  double distortion_p = 0;                    // of signal-following distortion
  double snr_lo_db = 0, snr_hi_db = 30;       // noise level (uniform in dB)
  double sdr_lo_db = 5, sdr_hi_db = 30;       // distortion level
  double spread_lo_db = 20, spread_hi_db = 28;  // assumed dB standard deviation of a recording
  bool enabled() const { return response_p > 0 || noise_p > 0 || distortion_p > 0; }
  void validate(const std::string& section = "robust") const;
};
void to_json(nlohmann::json& j, const RobustConfig& c);
void from_json(const nlohmann::json& j, RobustConfig& c);

// The mel axis as the augmentation needs it: the filterbank [F, C] over the FFT bins' frequencies
// [C], and each band's effective bin count (sum w)^2 / sum w^2, which sets how much a band's noise
// power fluctuates from frame to frame (a Gamma of that shape, as for an average of that many bins).
struct MelBands {
  torch::Tensor weights, bin_hz, bins;  // [F, C], [C], [F]
  int sample_rate_hz = 0;
  static MelBands of(const features::LogMelConfig& cfg);
};

// Items of x [B, C, F, T] (channel 0 standardised log-mel) augmented and standardised again.
torch::Tensor robust_augment(const torch::Tensor& x, const RobustConfig& cfg, const MelBands& bands,
                             double frames_per_s);

// Building blocks (tested on their own): the mel power of db [F, T] plus noise power [F, T]
// scaled to snr_db below the mean power of db, in dB; the mel power [F] of noise whose power
// density falls slope_db dB per octave; a response's gain per band [F] in dB, the bins' power
// gains averaged with the band's weights.
torch::Tensor add_noise_db(const torch::Tensor& db, const torch::Tensor& noise_power, double snr_db);
torch::Tensor noise_shape(const MelBands& bands, double slope_db_per_octave);
torch::Tensor response_gain_db(const MelBands& bands, double highpass_hz, double lowpass_hz, double shelf_hz,
                               double shelf_db);

}  // namespace murmur::pipeline
