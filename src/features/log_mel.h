// Log-mel spectrogram, bit-compatible with the reference's librosa call:
//   S = librosa.feature.melspectrogram(y, sr=22050, n_mels=30, n_fft=2048, hop_length=512,
//                                      fmin=20, fmax=1000)
//   librosa.power_to_db(S, ref=np.max)            (top_db = 80)
// i.e. periodic Hann window, center=True with zero padding of n_fft/2 on both sides,
// power 2, Slaney mel scale and Slaney area normalisation, dB relative to the maximum.
//
//   murmur::features::LogMelConfig cfg;           // the reference's settings
//   murmur::features::Matrix db = murmur::features::log_mel(pcm, cfg);   // [n_mels, frames], dB
//
// Each step is callable alone (mel_filterbank, power_spectrogram, power_to_db) so each can be
// checked against librosa's formulas on its own.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "features/fft.h"

namespace murmur::features {

// Row-major float matrix; for spectrograms rows = frequency bins (row 0 = lowest), cols = frames.
struct Matrix {
  int rows = 0, cols = 0;
  std::vector<float> data;
  Matrix() = default;
  Matrix(int r, int c, float v = 0.f) : rows(r), cols(c), data(size_t(r) * c, v) {}
  float& at(int r, int c) { return data[size_t(r) * cols + c]; }
  float at(int r, int c) const { return data[size_t(r) * cols + c]; }
};

enum class DbRef { kMax, kFixed };  // ref=np.max (reference) or a fixed reference power of 1.0

struct LogMelConfig {
  int sample_rate_hz = 22050;   // the rate the signal is at when it reaches this stage
  int n_fft = 2048;
  int hop = 512;
  int n_mels = 30;
  float fmin_hz = 20;
  float fmax_hz = 1000;         // reference band
  bool center = true;           // pad n_fft/2 zeros on both sides (librosa's default, pad_mode constant)
  float amin = 1e-10f;          // power floor before log10
  float top_db = 80;            // clip below max - top_db; <= 0 disables
  DbRef ref = DbRef::kMax;
  // The FFT (features/fft.h). Backends differ in the last bits, and training is sensitive enough
  // to them to end elsewhere (one BMD-HS fold: 7 points of balanced accuracy), so a saved
  // configuration without "fft" reads as kissfft, the FFT it was made with. A build without FFTW
  // computes "fftw" with kissfft.
  FftBackend fft = default_fft_backend();

  void validate(const std::string& section = "log_mel") const;  // "log_mel.field: rule (got v)"
};

void to_json(nlohmann::json& j, const LogMelConfig& c);
void from_json(const nlohmann::json& j, LogMelConfig& c);

// [n_mels, n_fft/2 + 1] Slaney mel filterbank (librosa.filters.mel, htk=False, norm='slaney').
Matrix mel_filterbank(const LogMelConfig& cfg);
// Each mel band's frequency (Hz): where its filter peaks (explanations' band occlusion).
std::vector<double> mel_band_peak_hz(const LogMelConfig& cfg);

// [n_fft/2 + 1, frames] |STFT|^2 with a periodic Hann window.
Matrix power_spectrogram(const std::vector<float>& pcm, const LogMelConfig& cfg);

// In place: 10 log10(max(S, amin)) - 10 log10(max(ref, amin)), clipped at max - top_db.
void power_to_db(Matrix& s, const LogMelConfig& cfg);

// The whole chain: [n_mels, frames] in dB.
Matrix log_mel(const std::vector<float>& pcm, const LogMelConfig& cfg);

}  // namespace murmur::features
