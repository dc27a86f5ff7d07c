// Training augmentation for spectrogram windows [B, C, F, T] (preset native): each function
// draws from LibTorch's global generator in a fixed order, so a seeded run repeats exactly.
//
//   auto x = random_windows(batch, 125);          // [B, 1, F, 125] at random starts
//   random_time_reverse(x, 0.5);                   // in place
//   random_gain(x, 6.0);                           // +-6 dB on a dB/10 scale
//   spec_augment(x, {2, 4, 2, 12});                // frequency and time masks (SpecAugment)
#pragma once

#include <torch/torch.h>

namespace murmur::pipeline {

// A window of `frames` (or all, if shorter) from a random start of each item.
torch::Tensor random_windows(const torch::Tensor& batch, int64_t frames);
// Reverses each item in time with probability p.
void random_time_reverse(torch::Tensor& x, double p);
// Gain and masks change channel 0 (the log-mel) only; further channels (cardiac phase) are
// labels of the frames, so they move with the windows and time reversal but are never masked.
// Adds a uniform random offset in [-gain_db/10, gain_db/10] per item (gain_db > 0).
torch::Tensor random_gain(const torch::Tensor& x, double gain_db);

struct SpecAugmentConfig {
  int freq_masks = 2, freq_mask_bins = 4;     // masks per item, maximum width in bands
  int time_masks = 2, time_mask_frames = 12;  // masks per item, maximum width in frames
};
// Zeroes random frequency bands, then random time spans, of each item, in place.
void spec_augment(torch::Tensor& x, const SpecAugmentConfig& cfg);

}  // namespace murmur::pipeline
