// How a recording's energy spreads over the heart-sound band: its long-term spectrum summed in
// octaves and given as dB relative to the whole band, so that gain does not matter and what is
// left is the body, the stethoscope and the room. Averaged over a source's recordings it is that
// device's signature (murmur index --spectra).
//
//   std::vector<double> db = murmur::features::band_profile_db(pcm, 4000);  // 5 octaves, 25-800 Hz
//   // db[k]: 10 log10(power in band k / power in 25-800 Hz)
#pragma once

#include <vector>

namespace murmur::features {

// Octave bands of the heart-sound range: 25-50, 50-100, 100-200, 200-400, 400-800 Hz.
inline const std::vector<double> kOctaveEdgesHz = {25, 50, 100, 200, 400, 800};

// Mean power spectrum (periodic Hann, ~0.25 s frames, half overlap) summed between consecutive
// edges, in dB relative to the sum over the whole range. A band above Nyquist, or a recording
// with no power in the range, gives NaN for it (documented as "no data", never a number).
std::vector<double> band_profile_db(const std::vector<float>& pcm, int rate_hz,
                                    const std::vector<double>& edges_hz = kOctaveEdgesHz);

}  // namespace murmur::features
