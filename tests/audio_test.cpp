// Audio loading: every bad input gets a clear error naming the file; resampling keeps the signal.
#include "audio/audio.h"

#include <gtest/gtest.h>
#include <sndfile.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "test_util.h"
#include "util/error.h"
#include "util/fs.h"

using murmur::audio::LoadConfig;

namespace {

void write_wav(const std::string& path, const std::vector<float>& interleaved, int rate, int channels,
               int format = SF_FORMAT_WAV | SF_FORMAT_PCM_16) {
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = channels;
  info.format = format;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  ASSERT_NE(f, nullptr) << sf_strerror(nullptr);
  sf_writef_float(f, interleaved.data(), sf_count_t(interleaved.size() / size_t(channels)));
  sf_close(f);
}

std::vector<float> sine(int rate, double freq, double seconds, float amp = 0.5f) {
  std::vector<float> x(size_t(rate * seconds));
  for (size_t i = 0; i < x.size(); ++i) x[i] = amp * float(std::sin(2 * M_PI * freq * double(i) / rate));
  return x;
}

// Expects load(path) to throw a murmur::Error whose message names the file and contains `what`.
void expect_error(const std::string& path, const std::string& what, const LoadConfig& cfg = {}) {
  try {
    murmur::audio::load(path, cfg);
    FAIL() << path << ": loaded, expected an error containing '" << what << "'";
  } catch (const murmur::Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find(what), std::string::npos) << msg;
  }
}

}  // namespace

TEST(Audio, LoadsMonoWav) {
  std::string dir = murmur::test::temp_dir("audio_mono");
  write_wav(dir + "/a.wav", sine(4000, 100, 2.0), 4000, 1);
  auto a = murmur::audio::load(dir + "/a.wav");
  EXPECT_EQ(a.sample_rate_hz, 4000);
  EXPECT_EQ(a.source_channels, 1);
  EXPECT_EQ(a.samples.size(), 8000u);
  EXPECT_NEAR(a.duration_s(), 2.0, 1e-9);
  EXPECT_NEAR(*std::max_element(a.samples.begin(), a.samples.end()), 0.5f, 1e-3f);
}

TEST(Audio, MixesStereoToMono) {
  std::string dir = murmur::test::temp_dir("audio_stereo");
  auto left = sine(8000, 50, 1.5, 0.4f);
  std::vector<float> lr(left.size() * 2);
  for (size_t i = 0; i < left.size(); ++i) { lr[2 * i] = left[i]; lr[2 * i + 1] = 0.f; }
  write_wav(dir + "/s.flac", lr, 8000, 2, SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
  auto a = murmur::audio::load(dir + "/s.flac");
  EXPECT_EQ(a.source_channels, 2);
  EXPECT_NEAR(*std::max_element(a.samples.begin(), a.samples.end()), 0.2f, 1e-3f);
}

TEST(Audio, BadInputsNameTheFileAndProblem) {
  std::string dir = murmur::test::temp_dir("audio_bad");
  expect_error(dir + "/missing.wav", "no such file");
  std::ofstream(dir + "/empty.wav").close();
  expect_error(dir + "/empty.wav", "empty");
  std::ofstream(dir + "/text.wav") << "this is not a RIFF file at all, just some text\n";
  expect_error(dir + "/text.wav", "not a readable audio file");
  write_wav(dir + "/silent.wav", std::vector<float>(8000, 0.f), 4000, 1);
  expect_error(dir + "/silent.wav", "silent");
  write_wav(dir + "/short.wav", sine(4000, 100, 0.5), 4000, 1);
  expect_error(dir + "/short.wav", "shorter than the minimum");
  auto nan = sine(4000, 100, 2.0);
  nan[1234] = NAN;
  write_wav(dir + "/nan.wav", nan, 4000, 1, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  expect_error(dir + "/nan.wav", "NaN");
  // Truncated: a valid WAV whose data chunk lost its second half.
  write_wav(dir + "/full.wav", sine(4000, 100, 2.0), 4000, 1);
  std::string bytes = murmur::util::read_file(dir + "/full.wav");
  std::ofstream(dir + "/trunc.wav", std::ios::binary).write(bytes.data(), std::streamsize(bytes.size() / 2));
  expect_error(dir + "/trunc.wav", "truncated after");
}

// Boundary: exactly min_duration_s loads, one sample less does not.
TEST(Audio, MinimumDurationBoundary) {
  std::string dir = murmur::test::temp_dir("audio_min");
  write_wav(dir + "/ok.wav", sine(4000, 100, 1.0), 4000, 1);
  EXPECT_NO_THROW(murmur::audio::load(dir + "/ok.wav"));
  auto x = sine(4000, 100, 1.0);
  x.pop_back();
  write_wav(dir + "/short.wav", x, 4000, 1);
  expect_error(dir + "/short.wav", "shorter");
}

TEST(Audio, DecodesFromMemory) {
  std::string dir = murmur::test::temp_dir("audio_mem");
  write_wav(dir + "/a.wav", sine(4000, 100, 2.0), 4000, 1);
  auto a = murmur::audio::decode(murmur::util::read_file(dir + "/a.wav"), "upload.wav");
  EXPECT_EQ(a.samples.size(), 8000u);
  try {
    murmur::audio::decode("GIF89a....", "upload.bin");
    FAIL();
  } catch (const murmur::Error& e) {
    EXPECT_NE(std::string(e.what()).find("upload.bin"), std::string::npos);
  }
}

TEST(Audio, ContainersAreCheckedBeforeDecoding) {
  const std::string ogg = murmur::util::read_file(std::string(MURMUR_SOURCE_DIR) + "/fuzz/corpus/audio/ogg_8k_1s.ogg");
  EXPECT_EQ(murmur::audio::decode(ogg, "a.ogg").sample_rate_hz, 8000);  // any container by default
  murmur::audio::LoadConfig cfg;
  cfg.containers = {"wav", "flac"};
  try {
    murmur::audio::decode(ogg, "a.ogg", cfg);
    FAIL();
  } catch (const murmur::Error& e) {
    EXPECT_STREQ(e.what(), "a.ogg: ogg files are not accepted here (accepted: wav, flac)");
  }
  try {
    murmur::audio::decode("ID3\x04 an mp3", "a.mp3", cfg);
    FAIL();
  } catch (const murmur::Error& e) {
    EXPECT_STREQ(e.what(), "a.mp3: not a recognised audio file (accepted: wav, flac)");
  }
  std::string dir = murmur::test::temp_dir("audio_containers");
  write_wav(dir + "/a.wav", sine(4000, 100, 2.0), 4000, 1);
  EXPECT_EQ(murmur::audio::load(dir + "/a.wav", cfg).samples.size(), 8000u);
  cfg.target_rate_hz = 4000;
  cfg.containers = {"wav", "mp3"};
  EXPECT_THROW(cfg.validate(), murmur::Error);
}

// A 200 Hz sine keeps its frequency and amplitude through 4 kHz -> 22,050 Hz.
TEST(Audio, ResampleKeepsFrequencyAndAmplitude) {
  auto x = sine(4000, 200, 2.0, 0.5f);
  auto y = murmur::audio::resample(x, 4000, 22050);
  ASSERT_EQ(y.size(), 44100u);  // ceil(8000 * 22050 / 4000)
  double max_err = 0;
  for (size_t i = 2000; i < y.size() - 2000; ++i) {  // away from the filter's edges
    double expected = 0.5 * std::sin(2 * M_PI * 200 * double(i) / 22050);
    max_err = std::max(max_err, std::fabs(y[i] - expected));
  }
  EXPECT_LT(max_err, 1e-3);
  auto down = murmur::audio::resample(sine(22050, 200, 1.0, 0.5f), 22050, 4000);
  EXPECT_EQ(down.size(), 4000u);
}

// Against scipy.signal.resample_poly on a 30-900 Hz chirp (both are good band-limited resamplers).
TEST(Audio, ResampleAgreesWithScipy) {
  auto read_f32 = [](const std::string& name) {
    std::string b = murmur::util::read_file(murmur::test::data_path("log_mel/" + name));
    std::vector<float> v(b.size() / 4);
    std::memcpy(v.data(), b.data(), b.size());
    return v;
  };
  auto x = read_f32("chirp_4000.f32");
  auto scipy = read_f32("resample_chirp.f32");
  auto y = murmur::audio::resample(x, 4000, 22050);
  ASSERT_EQ(y.size(), scipy.size());
  double max_err = 0;
  for (size_t i = 500; i < y.size() - 500; ++i) max_err = std::max(max_err, double(std::fabs(y[i] - scipy[i])));
  EXPECT_LT(max_err, 5e-3) << "peak amplitude is 0.7";
}

TEST(Audio, RejectsBadRates) {
  EXPECT_THROW(murmur::audio::resample({1, 2, 3}, 0, 22050), murmur::Error);
}

TEST(Audio, AtRateResamplesOnlyWhenNeededAndKeepsTheSource) {
  murmur::audio::Audio a;
  a.samples = sine(4000, 200, 1.0, 0.5f);
  a.sample_rate_hz = a.source_rate_hz = 4000;
  a.source_channels = 2;
  auto same = murmur::audio::at_rate(a, 4000);
  EXPECT_EQ(same.samples, a.samples);
  auto up = murmur::audio::at_rate(a, 22050);
  EXPECT_EQ(up.sample_rate_hz, 22050);
  EXPECT_EQ(up.samples, murmur::audio::resample(a.samples, 4000, 22050));
  EXPECT_EQ(up.source_rate_hz, 4000);
  EXPECT_EQ(up.source_channels, 2);
}

TEST(Audio, LoadConfigValidateNamesTheSetting) {
  murmur::audio::LoadConfig cfg;
  cfg.target_rate_hz = 4000;
  EXPECT_NO_THROW(cfg.validate());
  cfg.target_rate_hz = 0;
  try {
    cfg.validate();
    FAIL() << "target_rate_hz 0 must be refused";
  } catch (const murmur::Error& e) {
    EXPECT_EQ(std::string(e.what()), "audio.target_rate_hz: must be > 0 (got 0)");
  }
  cfg.target_rate_hz = 4000;
  cfg.min_duration_s = 5;
  cfg.max_duration_s = 2;
  try {
    cfg.validate("serve.audio");
    FAIL() << "max < min must be refused";
  } catch (const murmur::Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("serve.audio.max_duration_s: ", 0), 0u) << e.what();
  }
}

// ---- Issue 16: hostile audio ----

namespace {

// An 86-byte FLAC: a STREAMINFO block claiming `frames` frames of 16-bit audio, and no audio.
std::string flac_header_only(uint64_t frames, int rate, int channels) {
  std::string s = "fLaC";
  s += std::string{char(0x80), 0, 0, 34};  // last metadata block, STREAMINFO, 34 bytes
  s += std::string{0x10, 0, 0x10, 0, 0, 0, 0, 0, 0, 0};  // block sizes 4096, frame sizes unknown
  const uint64_t v = (uint64_t(rate) << 44) | (uint64_t(channels - 1) << 41) | (uint64_t(15) << 36) | frames;
  for (int k = 7; k >= 0; --k) s.push_back(char((v >> (8 * k)) & 0xff));
  s += std::string(16, '\0') + std::string(44, '\0');  // MD5, then nothing decodable
  return s;
}

long max_rss_kb() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return 0;
}

}  // namespace

// Item 3: the header's frame count was zero-filled up front (1.8 GB for 600 s at 96 kHz x 8
// channels, bad_alloc for 2^35 frames). Now nothing is allocated from it.
TEST(Audio, HeaderClaimingHugeLengthAllocatesNothing) {
  std::string dir = murmur::test::temp_dir("audio_huge");
  const std::string huge = flac_header_only(uint64_t(1) << 35, 96000, 8);
  ASSERT_EQ(huge.size(), 86u);
  murmur::util::write_file_atomic(dir + "/huge.flac", huge);
  murmur::util::write_file_atomic(dir + "/long.flac", flac_header_only(600 * 96000, 96000, 8));
  const long before = max_rss_kb();
  expect_error(dir + "/huge.flac", "s is longer than the limit of 600");  // the default limit, from the header
  LoadConfig unlimited;
  unlimited.max_duration_s = 0;
  expect_error(dir + "/huge.flac", "truncated after 0 of 34359738368 frames", unlimited);
  expect_error(dir + "/long.flac", "truncated after 0 of 57600000 frames");
  EXPECT_THROW(murmur::audio::decode(huge, "upload.flac", unlimited), murmur::Error);
  EXPECT_LT(max_rss_kb() - before, 50 * 1024) << "kB of peak memory grew";
}

TEST(Audio, ReadsInBlocksUpToTheDurationLimit) {
  std::string dir = murmur::test::temp_dir("audio_blocks");
  // 70 s of 3 channels: several read blocks, mixed to mono as read.
  std::vector<float> x(size_t(4000 * 70) * 3);
  for (size_t i = 0; i < x.size(); ++i) x[i] = 0.25f * float(std::sin(double(i / 3) * 0.1)) * float(1 + i % 3);
  write_wav(dir + "/three.flac", x, 4000, 3, SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
  const auto a = murmur::audio::load(dir + "/three.flac");
  ASSERT_EQ(a.samples.size(), size_t(4000 * 70));
  EXPECT_NEAR(a.samples[12345], 0.5f * float(std::sin(12345 * 0.1)), 1e-3);  // mean of 1x, 2x, 3x
  LoadConfig cfg;
  cfg.max_duration_s = 60;
  expect_error(dir + "/three.flac", "70.000000 s is longer than the limit of 60.000000 s", cfg);
}

// Item 8: a 1 Hz file was classified ("MS 0.70"); float samples of 1e30 were accepted.
TEST(Audio, RefusesWhatIsNotAHeartSound) {
  std::string dir = murmur::test::temp_dir("audio_not_heart");
  write_wav(dir + "/one_hz.wav", std::vector<float>(20, 0.5f), 1, 1);
  expect_error(dir + "/one_hz.wav", "sample rate 1 Hz is below the minimum of 1000 Hz");
  write_wav(dir + "/low.wav", sine(800, 50, 2.0), 800, 1);
  expect_error(dir + "/low.wav", "sample rate 800 Hz is below the minimum of 1000 Hz");
  LoadConfig low;
  low.min_rate_hz = 500;
  EXPECT_NO_THROW(murmur::audio::load(dir + "/low.wav", low));

  auto big = sine(4000, 100, 2.0);
  big[777] = 1e30f;
  write_wav(dir + "/big.wav", big, 4000, 1, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  expect_error(dir + "/big.wav", "sample 777 is 1e+30, beyond the limit of +-1000 (full scale is 1)");
  // Opposite huge values in two channels would mix to a plausible 0: each channel is checked.
  std::vector<float> lr;
  for (float s : sine(4000, 100, 2.0)) lr.insert(lr.end(), {s, s});
  lr[2 * 10] = 1e30f, lr[2 * 10 + 1] = -1e30f;
  write_wav(dir + "/pair.wav", lr, 4000, 2, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  expect_error(dir + "/pair.wav", "sample 10 (channel 1) is 1e+30");
  lr[2 * 10] = INFINITY, lr[2 * 10 + 1] = -INFINITY;  // would mix to NaN
  write_wav(dir + "/inf.wav", lr, 4000, 2, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  expect_error(dir + "/inf.wav", "sample 10 (channel 1) is infinite");
  auto loud = sine(4000, 100, 2.0, 3.0f);  // over full scale but physical (a float master)
  write_wav(dir + "/loud.wav", loud, 4000, 1, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  EXPECT_NO_THROW(murmur::audio::load(dir + "/loud.wav"));
}

// Item 12: L = -R said "all samples are zero".
TEST(Audio, ChannelsThatCancelAreNamed) {
  std::string dir = murmur::test::temp_dir("audio_cancel");
  std::vector<float> lr;
  for (float s : sine(4000, 100, 2.0)) lr.insert(lr.end(), {s, -s});
  write_wav(dir + "/cancel.wav", lr, 4000, 2, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  expect_error(dir + "/cancel.wav", "its 2 channels cancel out when mixed to mono");
  write_wav(dir + "/silent2.wav", std::vector<float>(16000, 0.f), 4000, 2);
  expect_error(dir + "/silent2.wav", "is silent (all samples are zero)");
}
