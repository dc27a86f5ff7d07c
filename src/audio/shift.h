// Controlled shifts of a recording: what another stethoscope, another recorder, a short clip, a
// noisy room or a quiet input does to it. The cross-validation report scores every test fold
// under each (experiment/shift_bench.h), so robustness is measured, not hoped for.
//
//   for (const Shift& s : bench_shifts())                      // the bench's fixed list
//     for (const Audio& x : apply_shift(a, s, seed)) score(x); // crops give several clips
//
// Families (where the shapes come from):
// - "stethoscope": the three filter modes of an electronic stethoscope, which are also the
//   acoustic chest piece's two sides (3M Littmann 3200 user guide: bell mode 20-1000 Hz with the
//   20-200 Hz range emphasised, like an acoustic bell; diaphragm mode 100-500 Hz, like an acoustic
//   diaphragm's high-pass; extended mode 20-2000 Hz). Strength 1 extended, 2 bell, 3 diaphragm.
//   Second-order (RBJ cookbook) high- and low-passes, the bell's emphasis a +6 dB low shelf.
// - "rate": the recording as a file at another rate (resampled to it; murmur resamples back).
// - "crop": clips of `strength` seconds, every whole clip of the recording, each scored.
// - "noise": white, pink (-3 dB/octave), breathing (brown noise under 300 Hz, swelling at 15
//   breaths/min) or friction (20-80 ms bursts of noise above 200 Hz, 2 per second) added at
//   `strength` dB signal-to-noise over the whole recording.
// - "gain": `strength` dB, then clipped to [-1, 1] as a 16-bit file would be.
// - "combined": a bell response, 8 kHz, pink noise at 10 dB, -20 dB gain and 4 s clips, in that
//   order: the middle strength of every family at once.
// Deterministic: the noise is seeded by `seed` (the bench uses the recording's name).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "audio/audio.h"

namespace murmur::audio {

struct Shift {
  std::string family;   // stethoscope, rate, crop, noise, gain, combined
  std::string kind;     // stethoscope: extended/bell/diaphragm; noise: white/pink/breathing/friction
  double strength = 0;  // stethoscope: 1-3; rate: Hz; crop: s; noise: SNR dB; gain: dB
  std::string name() const;  // "noise pink 10 dB", "crop 2 s", ...
};

// The bench: 3 stethoscope responses, 4 rates (2, 8, 16, 44.1 kHz), 5 clip lengths (1, 2, 3, 4,
// 8 s), 4 noises x 3 SNRs (20, 10, 5 dB), 4 gains (-30, -20, -10, +6 dB), and the combination.
std::vector<Shift> bench_shifts();

// The shifted recording(s): one, or for crops (and combined) every whole clip (none when the
// recording is shorter than the clip). murmur::Error for an unknown family or kind.
std::vector<Audio> apply_shift(const Audio& audio, const Shift& shift, uint64_t seed);

// A second-order section (RBJ audio-EQ cookbook), applied in place; the building block above.
enum class Biquad { kLowPass, kHighPass, kLowShelf };
void biquad(std::vector<float>& x, int rate_hz, Biquad type, double f0_hz, double gain_db = 0, double q = 0.7071);
// Its coefficients, and its gain in dB at f_hz (for filters applied to spectra, pipeline/robust.h).
struct BiquadCoefs { double b0, b1, b2, a0, a1, a2; };
BiquadCoefs rbj(int rate_hz, Biquad type, double f0_hz, double gain_db = 0, double q = 0.7071);
double biquad_gain_db(int rate_hz, Biquad type, double f0_hz, double f_hz, double gain_db = 0, double q = 0.7071);

}  // namespace murmur::audio
