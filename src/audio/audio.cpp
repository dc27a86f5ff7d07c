#include "audio/audio.h"

#include <sndfile.h>
#include <soxr.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>

#include "util/check.h"
#include "util/error.h"

namespace murmur::audio {

namespace {

// libsndfile reads an in-memory file through these callbacks (decode() and the HTTP service).
struct MemoryFile {
  const std::string* bytes;
  sf_count_t pos = 0;
};

sf_count_t mem_len(void* user) { return static_cast<sf_count_t>(static_cast<MemoryFile*>(user)->bytes->size()); }
sf_count_t mem_seek(sf_count_t offset, int whence, void* user) {
  auto* m = static_cast<MemoryFile*>(user);
  sf_count_t size = static_cast<sf_count_t>(m->bytes->size());
  sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? m->pos : size;
  m->pos = std::clamp<sf_count_t>(base + offset, 0, size);
  return m->pos;
}
sf_count_t mem_read(void* ptr, sf_count_t count, void* user) {
  auto* m = static_cast<MemoryFile*>(user);
  sf_count_t n = std::min(count, static_cast<sf_count_t>(m->bytes->size()) - m->pos);
  std::memcpy(ptr, m->bytes->data() + m->pos, static_cast<size_t>(n));
  m->pos += n;
  return n;
}
sf_count_t mem_write(const void*, sf_count_t, void*) { return 0; }
sf_count_t mem_tell(void* user) { return static_cast<MemoryFile*>(user)->pos; }

// For RIFF/WAVE data, the frame count the header declares (0 if not a plain WAV): libsndfile
// silently shortens a truncated file's length, and murmur wants to say it was truncated.
int64_t declared_wav_frames(const std::string& head, int channels, int bytes_per_sample) {
  if (head.size() < 12 || head.compare(0, 4, "RIFF") != 0 || head.compare(8, 4, "WAVE") != 0) return 0;
  size_t pos = 12;
  while (pos + 8 <= head.size()) {
    uint32_t size;
    std::memcpy(&size, head.data() + pos + 4, 4);
    if (head.compare(pos, 4, "data") == 0)
      return channels > 0 && bytes_per_sample > 0 ? int64_t(size) / (channels * bytes_per_sample) : 0;
    pos += 8 + size + (size & 1);
  }
  return 0;
}

int bytes_per_sample(int format) {
  switch (format & SF_FORMAT_SUBMASK) {
    case SF_FORMAT_PCM_S8: case SF_FORMAT_PCM_U8: return 1;
    case SF_FORMAT_PCM_16: return 2;
    case SF_FORMAT_PCM_24: return 3;
    case SF_FORMAT_PCM_32: case SF_FORMAT_FLOAT: return 4;
    case SF_FORMAT_DOUBLE: return 8;
    default: return 0;
  }
}

// Reads the rest of sf in blocks, mixing to mono as it goes; refuses non-finite and
// non-physical samples, and stops once the audio passes cfg.max_duration_s.
Audio read_open(SNDFILE* sf, SF_INFO& info, const std::string& name, const std::string& head,
                const LoadConfig& cfg) {
  struct Closer { SNDFILE* f; ~Closer() { sf_close(f); } } closer{sf};
  if (info.channels <= 0) throw Error(name + ": has zero channels");
  if (info.samplerate <= 0) throw Error(name + ": invalid sample rate " + std::to_string(info.samplerate));
  if (info.samplerate < cfg.min_rate_hz)
    throw UnusableAudio(name + ": sample rate " + std::to_string(info.samplerate) + " Hz is below the minimum of " +
                std::to_string(cfg.min_rate_hz) + " Hz (heart sounds and murmurs reach ~800 Hz): not a heart-sound recording");
  if (info.frames <= 0) throw Error(name + ": contains no audio frames (empty or truncated file)");
  const bool known_length = info.frames != SF_COUNT_MAX;  // a stream header may leave it open
  auto too_long = [&](double seconds) {
    return UnusableAudio(name + ": " + std::to_string(seconds) + " s is longer than the limit of " +
                 std::to_string(cfg.max_duration_s) + " s");
  };
  if (known_length && cfg.max_duration_s > 0 && double(info.frames) / info.samplerate > cfg.max_duration_s)
    throw too_long(double(info.frames) / info.samplerate);
  const int c = info.channels;
  const double max_frames = cfg.max_duration_s > 0 ? cfg.max_duration_s * info.samplerate : HUGE_VAL;
  Audio a;
  a.source_rate_hz = a.sample_rate_hz = info.samplerate;
  a.source_channels = c;
  // About 1 MB per block whatever the channel count, less for a shorter file (but at least 4096
  // frames, should the header understate it); the header's frame count is never trusted for
  // more. Not zero-filled: sf_readf_float writes what is read.
  const sf_count_t block_frames = std::min<sf_count_t>(
      std::max(1, (1 << 18) / c), known_length ? std::max<sf_count_t>(info.frames, 4096) : SF_COUNT_MAX);
  std::unique_ptr<float[]> block(new float[size_t(block_frames) * size_t(c)]);
  // Room for the declared length up to 4M samples (a header may lie; beyond, the vector grows).
  if (known_length) a.samples.reserve(size_t(std::min<sf_count_t>(info.frames, sf_count_t(1) << 22)));
  // A sample that is not finite or beyond max_abs_sample: named in the error.
  auto refuse = [&](const float* x, sf_count_t n) {
    for (sf_count_t i = 0; i < n; ++i)
      for (int k = 0; k < c; ++k) {
        const float s = x[size_t(i) * size_t(c) + size_t(k)];
        if (std::isfinite(s) && std::fabs(s) <= cfg.max_abs_sample) continue;
        const std::string where = name + ": sample " + std::to_string(a.samples.size() + size_t(i)) +
                                  (c > 1 ? " (channel " + std::to_string(k + 1) + ")" : "");
        if (!std::isfinite(s)) throw UnusableAudio(where + " is " + (std::isnan(s) ? "NaN" : "infinite"));
        throw UnusableAudio(where + " is " + util::setting_text(s) + ", beyond the limit of +-" + util::setting_text(cfg.max_abs_sample) +
                    " (full scale is 1): not a physical recording");
      }
  };
  bool any_nonzero = false;
  const float limit = float(std::min<double>(cfg.max_abs_sample, 3.0e38));
  for (sf_count_t n; (n = sf_readf_float(sf, block.get(), block_frames)) > 0;) {
    const float* x = block.get();
    const size_t values = size_t(n) * size_t(c);
    // One pass that vectorises (integer flags): every value finite and within the limit (NaN
    // fails <=), and whether any is not zero.
    int bad = 0, nonzero = 0;
    for (size_t i = 0; i < values; ++i) {
      const float v = std::fabs(x[i]);
      bad |= !(v <= limit);
      nonzero |= v > 0;
    }
    if (bad || double(limit) != cfg.max_abs_sample) refuse(x, n);  // names the sample; exact if the limit is no float
    any_nonzero |= nonzero != 0;
    const size_t have = a.samples.size();
    if (c == 1) {  // the mix of one channel, 0 + s as below (so -0 reads as 0, as it always did)
      a.samples.resize(have + size_t(n));
      for (sf_count_t i = 0; i < n; ++i) a.samples[have + size_t(i)] = 0.f + x[i];
    } else {
      for (sf_count_t i = 0; i < n; ++i) {
        float sum = 0;
        for (int k = 0; k < c; ++k) sum += x[size_t(i) * size_t(c) + size_t(k)];
        a.samples.push_back(sum / float(c));
      }
    }
    if (double(a.samples.size()) > max_frames) throw too_long(double(a.samples.size()) / info.samplerate);
  }
  const int64_t got = int64_t(a.samples.size());
  int64_t declared = declared_wav_frames(head, info.channels, bytes_per_sample(info.format));
  if ((known_length && got < info.frames) || (declared > 0 && declared > got + 1))
    throw Error(name + ": truncated after " + std::to_string(got) + " of " +
                std::to_string(std::max<int64_t>(declared, known_length ? info.frames : 0)) + " frames");
  if (any_nonzero && std::all_of(a.samples.begin(), a.samples.end(), [](float s) { return s == 0; }))
    throw UnusableAudio(name + ": its " + std::to_string(c) + " channels cancel out when mixed to mono (every mixed "
                "sample is zero, the channels are not): export a single channel");
  validate(a, name, cfg);  // before resampling: NaNs would spread through the filter
  return cfg.target_rate_hz > 0 ? at_rate(std::move(a), cfg.target_rate_hz) : a;
}

// The container a file's first bytes announce: "wav", "flac", "ogg", "aiff", or "" if none of them.
std::string container_of(const std::string& head) {
  auto starts = [&](const char* magic) { return head.compare(0, std::strlen(magic), magic) == 0; };
  if (starts("RIFF") || starts("RIFX") || starts("RF64") || starts("BW64")) return "wav";
  if (starts("fLaC")) return "flac";
  if (starts("OggS")) return "ogg";
  if (starts("FORM")) return "aiff";
  return "";
}

const std::vector<std::string> kContainers{"wav", "flac", "ogg", "aiff"};

std::string joined(const std::vector<std::string>& names) {  // "wav, flac"
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// Refuses, before libsndfile sees the bytes, a container the caller does not accept.
void check_container(const std::string& head, const std::string& name, const LoadConfig& cfg) {
  if (cfg.containers.empty()) return;
  const std::string kind = container_of(head);
  if (std::find(cfg.containers.begin(), cfg.containers.end(), kind) != cfg.containers.end()) return;
  throw Error(name + ": " + (kind.empty() ? "not a recognised audio file" : kind + " files are not accepted here") +
              " (accepted: " + joined(cfg.containers) + ")");
}

std::string describe_open_error(const std::string& name, SNDFILE* sf) {
  return name + ": not a readable audio file (" + sf_strerror(sf) + "; reads " + joined(kContainers) + ")";
}

}  // namespace

void LoadConfig::validate(const std::string& section) const {
  auto key = [&](const char* field) { return util::setting_key(section, field); };
  util::check_setting(target_rate_hz > 0, key("target_rate_hz"), "must be > 0", target_rate_hz);
  util::check_setting(target_rate_hz <= 384000, key("target_rate_hz"), "must be at most 384000 Hz", target_rate_hz);
  util::check_setting(min_rate_hz >= 1, key("min_rate_hz"), "must be at least 1 Hz", min_rate_hz);
  util::check_setting(max_abs_sample > 0, key("max_abs_sample"), "must be > 0", max_abs_sample);
  for (const auto& c : containers)
    if (std::find(kContainers.begin(), kContainers.end(), c) == kContainers.end())
      throw Error(key("containers") + ": unknown container '" + c + "' (known: " + joined(kContainers) + ")");
  util::check_setting(min_duration_s >= 0, key("min_duration_s"), "must be >= 0", min_duration_s);
  util::check_setting(max_duration_s >= 0, key("max_duration_s"), "must be >= 0 (0 = no limit)", max_duration_s);
  util::check_setting(max_duration_s == 0 || max_duration_s >= min_duration_s, key("max_duration_s"),
                      "must be 0 (no limit) or >= min_duration_s " + util::setting_text(min_duration_s), max_duration_s);
}

bool is_audio_path(const std::string& path) {
  std::string e = std::filesystem::path(path).extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return std::tolower(c); });
  return e == ".wav" || e == ".flac" || e == ".ogg";
}

Audio at_rate(Audio audio, int rate_hz) {
  if (audio.sample_rate_hz == rate_hz) return audio;
  audio.samples = resample(audio.samples, audio.sample_rate_hz, rate_hz);
  audio.sample_rate_hz = rate_hz;
  return audio;
}

void validate(const Audio& audio, const std::string& name, const LoadConfig& cfg) {
  // One pass that vectorises (integer flags; NaN fails <=), then the first bad sample for the message.
  int bad = 0, nonzero = 0;
  for (float s : audio.samples) {
    const float v = std::fabs(s);
    bad |= !(v <= std::numeric_limits<float>::max());
    nonzero |= v > 0;
  }
  for (size_t i = 0; bad && i < audio.samples.size(); ++i) {
    const float s = audio.samples[i];
    if (!std::isfinite(s))
      throw UnusableAudio(name + ": sample " + std::to_string(i) + " is " + (std::isnan(s) ? "NaN" : "infinite"));
  }
  if (!nonzero) throw UnusableAudio(name + ": is silent (all samples are zero)");
  double dur = audio.duration_s();
  if (dur < cfg.min_duration_s)
    throw UnusableAudio(name + ": " + std::to_string(dur) + " s is shorter than the minimum of " +
                std::to_string(cfg.min_duration_s) + " s");
}

Audio from_samples(const float* samples, size_t n, int rate_hz, const std::string& name, const LoadConfig& cfg) {
  if (rate_hz < cfg.min_rate_hz || rate_hz > 384000)
    throw UnusableAudio(name + ": sample rate " + std::to_string(rate_hz) + " Hz is outside [" +
                        std::to_string(cfg.min_rate_hz) + ", 384000] Hz (heart sounds and murmurs reach ~800 Hz)");
  if (cfg.max_duration_s > 0 && double(n) / rate_hz > cfg.max_duration_s)
    throw UnusableAudio(name + ": " + std::to_string(double(n) / rate_hz) + " s is longer than the limit of " +
                        std::to_string(cfg.max_duration_s) + " s");
  Audio a;
  a.source_rate_hz = a.sample_rate_hz = rate_hz;
  a.source_channels = 1;
  if (n > 0) a.samples.assign(samples, samples + n);
  validate(a, name, cfg);  // NaN/Inf, silence, too short
  for (size_t i = 0; i < n; ++i)
    if (std::fabs(a.samples[i]) > cfg.max_abs_sample)
      throw UnusableAudio(name + ": sample " + std::to_string(i) + " is " + util::setting_text(a.samples[i]) +
                          ", beyond the limit of +-" + util::setting_text(cfg.max_abs_sample) +
                          " (full scale is 1): not a physical recording");
  return cfg.target_rate_hz > 0 ? at_rate(std::move(a), cfg.target_rate_hz) : a;
}

Audio load(const std::string& path, const LoadConfig& cfg) {
  if (!std::filesystem::exists(path)) throw Error(path + ": no such file");
  if (std::filesystem::is_directory(path)) throw Error(path + ": is a folder, not an audio file");
  // Devices, pipes and sockets have no size and may never end (/dev/zero, a FIFO): refused by name.
  if (!std::filesystem::is_regular_file(path))
    throw Error(path + ": is not a regular file (a device, pipe or socket); give murmur an audio file");
  if (std::filesystem::file_size(path) == 0) throw Error(path + ": is empty (0 bytes)");
  std::string head(4096, '\0');
  {
    std::ifstream in(path, std::ios::binary);
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<size_t>(in.gcount()));
  }
  check_container(head, path, cfg);
  SF_INFO info{};
  SNDFILE* sf = sf_open(path.c_str(), SFM_READ, &info);
  if (!sf) throw Error(describe_open_error(path, nullptr));
  return read_open(sf, info, path, head, cfg);
}

Audio decode(const std::string& bytes, const std::string& name, const LoadConfig& cfg) {
  if (bytes.empty()) throw Error(name + ": is empty (0 bytes)");
  check_container(bytes.substr(0, 4), name, cfg);
  MemoryFile mem{&bytes};
  SF_VIRTUAL_IO io{mem_len, mem_seek, mem_read, mem_write, mem_tell};
  SF_INFO info{};
  SNDFILE* sf = sf_open_virtual(&io, SFM_READ, &info, &mem);
  if (!sf) throw Error(describe_open_error(name, nullptr));
  return read_open(sf, info, name, bytes.substr(0, 4096), cfg);
}

std::vector<float> resample(const std::vector<float>& x, int from_hz, int to_hz) {
  if (from_hz <= 0 || to_hz <= 0)
    throw Error("resample: rates must be positive (got " + std::to_string(from_hz) + " -> " +
                std::to_string(to_hz) + " Hz)");
  if (from_hz == to_hz) return x;
  // librosa.resample(res_type='soxr_hq'): output length ceil(n * ratio), zero-padded to it.
  size_t out_len = size_t(std::ceil(double(x.size()) * to_hz / from_hz));
  std::vector<float> y(out_len, 0.f);
  soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
  soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  size_t done = 0;
  soxr_error_t err = soxr_oneshot(from_hz, to_hz, 1, x.data(), x.size(), nullptr, y.data(), out_len,
                                  &done, &io, &q, nullptr);
  if (err) throw Error(std::string("resample: libsoxr failed: ") + err);
  return y;
}

}  // namespace murmur::audio
