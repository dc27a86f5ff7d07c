// Audio in: load a recording (WAV/FLAC/OGG via libsndfile), mix to mono float, check it,
// resample it (libsoxr, HQ recipe: what librosa's default `soxr_hq` loading does).
//
//   murmur::audio::LoadConfig cfg;          // keep the file's rate, at least 1 s, no silence
//   cfg.target_rate_hz = 22050;             // the reference resampled 4 kHz up to 22,050 Hz
//   murmur::audio::Audio a = murmur::audio::load("AS_005_sit_Aor.wav", cfg);
//   a.samples                               // mono float in [-1, 1], a.sample_rate_hz
//
// Every problem is a murmur::Error naming the file: missing, empty or truncated, not audio,
// zero channels, a rate below min_rate_hz, NaN/Inf or non-physical (|x| > max_abs_sample)
// samples, silent (all zero) or channels that cancel out, shorter than min_duration_s, longer
// than max_duration_s. Files are read in blocks and mixed to mono as they are read, so memory
// follows the audio actually decoded, never the length a header claims.
#pragma once

#include "util/error.h"

#include <string>
#include <vector>

namespace murmur::audio {

// The file decodes, but what it holds cannot be used as a heart sound: a rate below min_rate_hz,
// NaN/Inf or non-physical samples, silence, channels that cancel, a duration out of bounds.
// (A file that does not decode throws murmur::Error.) serve answers 422 for these, 415 otherwise.
class UnusableAudio : public Error {
 public:
  using Error::Error;
};

struct LoadConfig {
  int target_rate_hz = 0;         // 0 = keep the file's own rate
  double min_duration_s = 1.0;    // shorter recordings are rejected
  double max_duration_s = 600;    // longer files are rejected (memory bound); 0 = no limit
  int min_rate_hz = 1000;         // lower rates cannot hold the heart-sound band (up to ~800 Hz)
  double max_abs_sample = 1000;   // float samples beyond this are not a physical recording
  // Containers accepted, told by their first bytes: "wav" (RIFF/RIFX/RF64), "flac", "ogg",
  // "aiff"; empty = whatever libsndfile opens. Not a preset setting: the caller's choice. serve
  // accepts wav and flac only, because libsndfile 1.2.0 leaks memory on malformed Ogg Vorbis
  // streams (upstream libsndfile#922), which a client could repeat without bound.
  std::vector<std::string> containers;
  // For a preset's audio section (which always resamples): target_rate_hz in (0, 384000],
  // durations >= 0, max >= min unless 0, min_rate_hz >= 1, max_abs_sample > 0, known containers.
  // Throws murmur::Error "audio.target_rate_hz: must be > 0 (got 0)".
  void validate(const std::string& section = "audio") const;
};

struct Audio {
  std::vector<float> samples;     // mono, [-1, 1]
  int sample_rate_hz = 0;
  int source_rate_hz = 0;         // rate of the file before resampling
  int source_channels = 0;
  double duration_s() const { return sample_rate_hz ? double(samples.size()) / sample_rate_hz : 0.0; }
};

Audio load(const std::string& path, const LoadConfig& cfg = {});

// Decodes an in-memory file (same checks as load; `name` is used in error messages).
Audio decode(const std::string& bytes, const std::string& name, const LoadConfig& cfg = {});

// Samples already in memory (a numpy array, a live buffer): the checks load() makes of a file's
// samples (rate within [min_rate_hz, 384000], finite and physical, not silent, long enough, not
// too long), then resampled to cfg.target_rate_hz when set. Mono; `name` is used in errors.
Audio from_samples(const float* samples, size_t n, int rate_hz, const std::string& name, const LoadConfig& cfg = {});

// Checks the samples of `name`: throws on NaN/Inf, silence, or too short.
void validate(const Audio& audio, const std::string& name, const LoadConfig& cfg);

// True for a .wav, .flac or .ogg file name (any case): what load() reads.
bool is_audio_path(const std::string& path);

// `audio` at rate_hz: unchanged if already there, else resample(samples, rate, rate_hz) with
// sample_rate_hz updated (source_rate_hz and source_channels kept).
Audio at_rate(Audio audio, int rate_hz);

// Band-limited resampling with libsoxr's HQ recipe; from_hz == to_hz returns x unchanged.
std::vector<float> resample(const std::vector<float>& x, int from_hz, int to_hz);

}  // namespace murmur::audio
