// murmur::serve::StreamEngine and `murmur stream`: hop timing, JSON lines, the quality gate
// (silence, clipping, noise), the patient estimate, bounded memory, clean end on EOF and SIGINT.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

#include "serve/pcm.h"
#include "serve/server.h"
#include "serve/stream_model.h"
#include "serve_test_util.h"
#include "util/error.h"
#include "util/fs.h"

namespace ms = murmur::serve;
namespace mt = murmur::test;

namespace {

const murmur::pipeline::Predictor& predictor() {
  static murmur::pipeline::Predictor p = murmur::pipeline::Predictor::open(mt::tiny_model_path());
  return p;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
    out.push_back(text.substr(start, nl - start));
  return out;
}

std::string run_capture(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  for (size_t n; p && (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  if (p) pclose(p);
  return out;
}

}  // namespace

TEST(Stream, QualityFlagsEachBadContact) {
  ms::StreamConfig cfg;
  auto heart = mt::synth_heart(5);
  EXPECT_EQ(ms::assess_quality(heart, 4000, cfg).status, "ok");
  EXPECT_LT(ms::assess_quality(heart, 4000, cfg).high_band_fraction, 0.05);

  std::vector<float> quiet(heart.size());
  for (size_t i = 0; i < heart.size(); ++i) quiet[i] = heart[i] * 1e-4f;
  EXPECT_EQ(ms::assess_quality(quiet, 4000, cfg).status, "silence");
  EXPECT_EQ(ms::assess_quality(std::vector<float>(20000, 0.f), 4000, cfg).status, "silence");

  // Clipping: both sides of the 1 % boundary.
  std::vector<float> clipped = heart;
  for (size_t i = 0; i < clipped.size() / 100 - 10; ++i) clipped[i * 100] = 1.f;   // just under 1 %
  EXPECT_EQ(ms::assess_quality(clipped, 4000, cfg).status, "ok");
  for (size_t i = 0; i < 30; ++i) clipped[i * 100 + 50] = -1.f;                    // just over
  EXPECT_EQ(ms::assess_quality(clipped, 4000, cfg).status, "clipping");

  std::mt19937 rng(3);
  std::normal_distribution<float> n01(0, 0.1f);
  std::vector<float> hiss(heart.size());
  for (auto& v : hiss) v = n01(rng);
  auto q = ms::assess_quality(hiss, 4000, cfg);
  EXPECT_EQ(q.status, "noisy");
  EXPECT_NEAR(q.high_band_fraction, 0.7, 0.1);  // white noise: (2000 - 600) / 2000 of the band
}

// The high-band share is filtered as four parts side by side: it (and the RMS) equals the filter
// run once over the whole signal (written out here), at any rate and length.
TEST(Stream, HighBandShareEqualsOneSerialFilter) {
  ms::StreamConfig cfg;
  std::mt19937 rng(5);
  std::normal_distribution<float> n01(0, 0.1f);
  for (int rate : {4000, 2000, 44100, 384000})
    for (size_t n : {size_t(1), size_t(3), size_t(7), size_t(1001), size_t(80000)}) {
      std::vector<float> x(n);
      for (size_t i = 0; i < n; ++i) x[i] = n01(rng) + 0.5f * std::sin(0.01f * float(i));
      const double w0 = 2 * M_PI * cfg.noise_cutoff_hz / rate, alpha = std::sin(w0) / (2 * M_SQRT1_2);
      const double c = std::cos(w0), a0 = 1 + alpha;
      const double b0 = (1 + c) / 2 / a0, b1 = -(1 + c) / a0, a1 = -2 * c / a0, a2 = (1 - alpha) / a0;
      double x1 = 0, x2 = 0, y1 = 0, y2 = 0, high = 0, total = 0;
      for (float s : x) {
        const double y = b0 * s + b1 * x1 + b0 * x2 - a1 * y1 - a2 * y2;
        x2 = x1, x1 = s, y2 = y1, y1 = y;
        high += y * y, total += double(s) * s;
      }
      const ms::Quality q = ms::assess_quality(x, rate, cfg);
      EXPECT_NEAR(q.high_band_fraction, high / total, 1e-12 * std::max(1.0, high / total)) << rate << " Hz, " << n << " samples";
      EXPECT_NEAR(q.rms, std::sqrt(total / double(n)), 1e-12) << rate << " Hz, " << n << " samples";
    }
}

TEST(Stream, HopsQualityAndPatientEstimate) {
  // 12 s of heart sounds, 6 s of silence, 6 s of a saturated contact: 24 s, hops at 5, 6, ... 24 s.
  std::vector<float> pcm = mt::synth_heart(12);
  pcm.resize(18 * 4000, 0.f);
  auto loud = mt::synth_heart(6);
  for (float v : loud) pcm.push_back(std::max(-1.f, std::min(1.f, v * 50)));
  ms::StreamEngine engine(ms::stream_model(predictor()), 4000);
  const size_t capacity = engine.buffer_capacity();
  EXPECT_EQ(capacity, 20000u);

  std::vector<ms::HopResult> hops;
  for (size_t i = 0; i < pcm.size(); i += 333) {  // odd chunks: hops must not depend on them
    auto got = engine.push(pcm.data() + i, std::min<size_t>(333, pcm.size() - i));
    hops.insert(hops.end(), got.begin(), got.end());
  }
  ASSERT_EQ(hops.size(), 20u);
  EXPECT_EQ(engine.buffer_capacity(), capacity);
  int n_ok = 0;
  for (size_t h = 0; h < hops.size(); ++h) {
    double t = 5.0 + double(h);
    EXPECT_NEAR(hops[h].time_s, t, 1e-9);
    // Windows [t-5, t] inside the heart sounds or overlapping them: ok; all silent: t = 17, 18;
    // any second of the clipped stretch (t >= 19): clipping.
    std::string want = t <= 16 ? "ok" : t <= 18 ? "silence" : "clipping";
    EXPECT_EQ(hops[h].quality.status, want) << "hop at " << t << " s";
    EXPECT_EQ(hops[h].probabilities.has_value(), want == "ok");
    if (hops[h].probabilities) {
      ++n_ok;
      double sum = 0;
      for (double p : *hops[h].probabilities) sum += p;
      EXPECT_NEAR(sum, 1.0, 1e-4);
    }
    EXPECT_EQ(hops[h].n_ok_hops, n_ok);
  }
  EXPECT_EQ(n_ok, 12);

  // The patient estimate is the mean of the ok hops' probabilities.
  std::vector<double> mean(5, 0.0);
  for (auto& h : hops)
    if (h.probabilities)
      for (size_t k = 0; k < 5; ++k) mean[k] += (*h.probabilities)[k] / n_ok;
  for (size_t k = 0; k < 5; ++k) EXPECT_NEAR(hops.back().patient_probabilities[k], mean[k], 1e-9);

  auto line = hops.back().to_json(engine.class_names());
  for (const char* key : {"time_s", "quality", "rms", "clipped_fraction", "high_band_fraction", "class",
                          "probabilities", "patient", "latency_ms"})
    EXPECT_TRUE(line.contains(key)) << key;
  EXPECT_TRUE(line["class"].is_null());
  EXPECT_TRUE(line["probabilities"].is_null());
  EXPECT_EQ(line["patient"]["n_hops"], 12);
  EXPECT_TRUE(line["patient"]["class"].is_string());
  auto ok_line = hops[0].to_json(engine.class_names());
  EXPECT_EQ(ok_line["probabilities"].size(), 5u);

  auto s = engine.summary();
  EXPECT_EQ(s["n_hops"], 20);
  EXPECT_EQ(s["n_ok_hops"], 12);
  EXPECT_EQ(s["quality_counts"]["ok"], 12);
  EXPECT_EQ(s["quality_counts"]["silence"], 2);
  EXPECT_EQ(s["quality_counts"]["clipping"], 6);
  EXPECT_NEAR(s["duration_s"].get<double>(), 24.0, 1e-9);
  EXPECT_GT(s["real_time_factor"].get<double>(), 1.0);
}

TEST(Stream, MemoryStaysBoundedOnLongStreams) {
  // An hour of 8 kHz silence in 10 ms chunks: 3596 hops, the ring never grows.
  ms::StreamEngine engine(ms::stream_model(predictor()), 8000);
  const size_t capacity = engine.buffer_capacity();
  std::vector<float> chunk(80, 0.f);
  size_t n_hops = 0;
  for (int i = 0; i < 360000; ++i) n_hops += engine.push(chunk.data(), chunk.size()).size();
  EXPECT_EQ(n_hops, 3596u);
  EXPECT_EQ(engine.buffer_capacity(), capacity);
  EXPECT_EQ(capacity, 40000u);
  EXPECT_TRUE(engine.summary()["class"].is_null());  // nothing was ok: no patient estimate
}

TEST(Stream, RejectsBadSettings) {
  ms::StreamConfig cfg;
  cfg.hop_s = 6;  // longer than the window
  EXPECT_THROW(ms::StreamEngine(ms::stream_model(predictor()), 4000, cfg), murmur::Error);
  EXPECT_THROW(ms::StreamEngine(ms::stream_model(predictor()), 0, ms::StreamConfig{}), murmur::Error);
}

TEST(Stream, CliReadsStdinAndFiles) {
  std::string dir = mt::temp_dir("stream_cli");
  // stdin: 8 s of 16-bit stereo silence at 8 kHz -> hops at 5..8 s, all "silence", then the summary.
  std::string cmd = "head -c " + std::to_string(8 * 8000 * 2 * 2) + " /dev/zero | " + MURMUR_BINARY +
                    " --threads 1 stream --model " + mt::tiny_model_path() + " --rate 8000 --channels 2";
  auto lines = lines_of(run_capture(cmd));
  ASSERT_EQ(lines.size(), 5u);
  for (int i = 0; i < 4; ++i) {
    auto j = nlohmann::json::parse(lines[size_t(i)]);
    EXPECT_NEAR(j["time_s"].get<double>(), 5.0 + i, 1e-9);
    EXPECT_EQ(j["quality"], "silence");
  }
  auto summary = nlohmann::json::parse(lines.back());
  EXPECT_EQ(summary["summary"], true);
  EXPECT_EQ(summary["stopped_by"], "end_of_input");

  // --file: a 9 s heart recording, 2 s hops over 4 s windows -> hops at 4, 6, 8 s, all ok.
  murmur::util::write_file_atomic(dir + "/heart.wav", mt::wav_bytes(mt::synth_heart(9), 4000));
  lines = lines_of(run_capture(std::string(MURMUR_BINARY) + " stream --model " + mt::tiny_model_path() + " --file " +
                               dir + "/heart.wav --window-s 4 --hop-s 2"));
  ASSERT_EQ(lines.size(), 4u);
  for (int i = 0; i < 3; ++i) {
    auto j = nlohmann::json::parse(lines[size_t(i)]);
    EXPECT_EQ(j["quality"], "ok");
    EXPECT_TRUE(j["class"].is_string());
  }
  EXPECT_EQ(nlohmann::json::parse(lines.back())["n_ok_hops"], 3);
  // `murmur` streamed without LibTorch (MURMUR_LIBTORCH=0 forbids handing over); murmur-torch's
  // lines (MURMUR_LIBTORCH=1) hold the same answers within 1e-5.
  const std::string args = std::string(MURMUR_BINARY) + " stream --model " + mt::tiny_model_path() + " --file " + dir +
                           "/heart.wav --window-s 4 --hop-s 2";
  const auto native = lines_of(run_capture("MURMUR_LIBTORCH=0 " + args));
  const auto in_torch = lines_of(run_capture("MURMUR_LIBTORCH=1 " + args));
  ASSERT_EQ(native.size(), 4u);
  ASSERT_EQ(in_torch.size(), 4u);
  for (size_t i = 0; i < 3; ++i) {
    auto n = nlohmann::json::parse(native[i]), t = nlohmann::json::parse(in_torch[i]);
    EXPECT_EQ(n["class"], t["class"]);
    for (auto& [name, p] : t["probabilities"].items())
      EXPECT_NEAR(n["probabilities"][name].get<double>(), p.get<double>(), 1e-5) << "hop " << i << " " << name;
  }
}

TEST(Stream, CliStopsCleanlyOnSigint) {
  int in[2], out[2];
  ASSERT_EQ(pipe(in), 0);
  ASSERT_EQ(pipe(out), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    close(in[1]);
    close(out[0]);
    execl(MURMUR_BINARY, MURMUR_BINARY, "stream", "--model", mt::tiny_model_path().c_str(), "--rate", "4000",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  // 6 s of heart sounds -> one hop line; then the stream stays open until SIGINT.
  auto pcm = mt::synth_heart(6);
  std::string bytes;
  for (float v : pcm) {
    int16_t q = int16_t(std::lround(v * 32767));
    bytes.append(reinterpret_cast<const char*>(&q), 2);
  }
  ASSERT_EQ(write(in[1], bytes.data(), bytes.size()), ssize_t(bytes.size()));
  std::string got;
  char buf[4096];
  while (std::count(got.begin(), got.end(), '\n') < 2) {  // both hops: all input consumed
    ssize_t n = read(out[0], buf, sizeof buf);
    ASSERT_GT(n, 0);
    got.append(buf, size_t(n));
  }
  kill(pid, SIGINT);
  for (ssize_t n; (n = read(out[0], buf, sizeof buf)) > 0;) got.append(buf, size_t(n));
  int status = 0;
  waitpid(pid, &status, 0);
  close(in[1]);
  close(out[0]);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  auto lines = lines_of(got);
  ASSERT_EQ(lines.size(), 3u) << got;  // hops at 5 and 6 s, then the summary
  auto summary = nlohmann::json::parse(lines.back());
  EXPECT_EQ(summary["stopped_by"], "signal");
  EXPECT_EQ(summary["n_hops"], 2);
}

// A bad setting names the flag the user typed.
TEST(Stream, BadSettingsNameTheirFlag) {
  auto first_words = [](auto&& f) {
    try {
      f();
    } catch (const murmur::Error& e) {
      std::string m = e.what();
      return m.substr(0, m.find(':'));
    }
    return std::string("no error");
  };
  ms::StreamConfig c;
  c.window_s = -1;
  EXPECT_EQ(first_words([&] { c.validate(); }), "--window-s");
  ms::ServerConfig s;
  s.port = 70000;
  EXPECT_EQ(first_words([&] { s.validate(); }), "--port");
  EXPECT_EQ(first_words([] { ms::PcmDecoder("s24le", 1); }), "--format");
}

// Issue 16 item 12: NaN/Inf samples on a float stream were turned into zeros and the window
// was rated "ok" and classified. Now the frame mixes to NaN and its windows are "non-finite".
TEST(Stream, NonFiniteSamplesAreFlaggedNotZeroed) {
  ms::PcmDecoder pcm("f32le", 2);
  const std::vector<float> frames = {0.5f, 0.5f, NAN, 0.1f, 0.2f, INFINITY, 0.3f, 0.3f};
  std::vector<float> mono;
  EXPECT_EQ(pcm.decode(reinterpret_cast<const char*>(frames.data()), frames.size() * 4, mono), 32u);
  ASSERT_EQ(mono.size(), 4u);
  EXPECT_FLOAT_EQ(mono[0], 0.5f);
  EXPECT_TRUE(std::isnan(mono[1]));
  EXPECT_TRUE(std::isnan(mono[2]));
  EXPECT_FLOAT_EQ(mono[3], 0.3f);
  EXPECT_EQ(pcm.non_finite(), 2u);

  auto heart = mt::synth_heart(5);
  const auto clean = ms::assess_quality(heart, 4000, ms::StreamConfig{});
  heart[1000] = NAN;
  const auto q = ms::assess_quality(heart, 4000, ms::StreamConfig{});
  EXPECT_EQ(q.status, "non-finite");
  EXPECT_EQ(q.non_finite, 1u);
  EXPECT_NEAR(q.rms, clean.rms, 0.01 * clean.rms);  // measured over the finite samples
  EXPECT_TRUE(std::isfinite(q.high_band_fraction));

  // 13 s of heart sounds with a NaN at 7.5 s: the hops whose 5 s window holds it (t = 8 .. 12 s).
  std::vector<float> stream = mt::synth_heart(13);
  stream[size_t(7.5 * 4000)] = NAN;
  ms::StreamEngine engine(ms::stream_model(predictor()), 4000);
  const auto hops = engine.push(stream.data(), stream.size());
  ASSERT_EQ(hops.size(), 9u);
  for (const auto& hop : hops) {
    const bool holds_nan = hop.time_s >= 8 && hop.time_s <= 12;
    EXPECT_EQ(hop.quality.status, holds_nan ? "non-finite" : "ok") << hop.time_s;
    EXPECT_EQ(hop.probabilities.has_value(), !holds_nan) << hop.time_s;
  }
  EXPECT_EQ(engine.summary()["quality_counts"]["non-finite"], 5);
}
