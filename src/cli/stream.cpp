// murmur stream --model M: live classification of raw audio on stdin (or a file), one JSON line
// per hop and a final summary line. The engine (window, quality gate, patient estimate) is
// murmur::serve::StreamEngine; PCM decoding is murmur::serve::PcmDecoder.
// Built into both binaries: `murmur` runs native-family models itself on oneDNN
// (infer/native_predictor.h) and hands any other model to murmur-torch before reading a byte.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <thread>

#include "cli/command.h"
#include "cli/model_commands.h"
#include "serve/pcm.h"
#include "serve/stream.h"
#ifdef MURMUR_LAUNCHER
#include "infer/native_predictor.h"
#else
#include "serve/stream_model.h"
#endif
#include "util/error.h"
#include "util/json.h"

namespace murmur::cli {
namespace {

std::atomic<bool> g_interrupted{false};

void on_sigint(int) { g_interrupted = true; }

struct StreamArgs {
  std::string model;
  std::string format = "s16le";
  int rate_hz = 4000;
  int channels = 1;
  std::string realtime_file, file;
  serve::StreamConfig cfg;
};

void emit(const std::vector<serve::HopResult>& hops, const serve::StreamEngine& engine) {
  for (auto& h : hops) std::cout << util::json_text(h.to_json(engine.class_names(), engine.thresholds())) << "\n";
  if (!hops.empty()) std::cout.flush();
}

void setup(CLI::App& app) {
  auto a = std::make_shared<StreamArgs>();
  auto* cmd = app.add_subcommand("stream", model_command_about("stream"));
  cmd->add_option("-m,--model", a->model, "model.pth or a cv run folder")->required();
  cmd->add_option("--format", a->format, "stdin sample format")->check(CLI::IsMember({"s16le", "f32le"}))->capture_default_str();
  cmd->add_option("--rate", a->rate_hz, "stdin sample rate (Hz)")->capture_default_str();
  cmd->add_option("--channels", a->channels, "stdin channels (interleaved; mixed to mono)")
      ->check(CLI::Range(1, 16))->capture_default_str();
  auto* rt = cmd->add_option("--realtime", a->realtime_file, "Play a WAV/FLAC/OGG file at real-time pace instead of stdin");
  cmd->add_option("--file", a->file, "Feed a WAV/FLAC/OGG file as fast as possible (tests, benchmarks)")->excludes(rt);
  cmd->add_option("--window-s", a->cfg.window_s, "Seconds of audio each result sees")->capture_default_str();
  cmd->add_option("--hop-s", a->cfg.hop_s, "Seconds between results")->capture_default_str();
  cmd->add_option("--clip-level", a->cfg.clip_level, "|x| counted as clipped")->capture_default_str();
  cmd->add_option("--clip-max-fraction", a->cfg.clip_max_fraction, "Clipped fraction above which a window is 'clipping'")
      ->capture_default_str();
  cmd->add_option("--silence-rms", a->cfg.silence_rms, "RMS below which a window is 'silence'")->capture_default_str();
  cmd->add_option("--noise-cutoff-hz", a->cfg.noise_cutoff_hz, "Top of the heart-sound band")->capture_default_str();
  cmd->add_option("--noise-max-fraction", a->cfg.noise_max_fraction,
                  "Energy fraction above the cutoff beyond which a window is 'noisy'")->capture_default_str();
  cmd->callback([a] {
    a->cfg.validate();
#ifdef MURMUR_LAUNCHER
    if (libtorch_wanted()) hand_to_model_binary("MURMUR_LIBTORCH=1");
    std::string why;
    const auto native = infer::NativePredictor::open(a->model, &why);
    if (!native) hand_to_model_binary(why);  // before stdin is touched
    const serve::StreamModel model{native->class_names(), native->thresholds(), [&](const audio::Audio& window) {
                                     const auto p = native->predict_audio(window);
                                     return std::vector<double>(p.begin(), p.end());
                                   }};
    infer::set_engine_threads(global().threads);
#else
    auto predictor = pipeline::Predictor::open(a->model);
    const serve::StreamModel model = serve::stream_model(predictor);
#endif
    struct sigaction sa {};
    sa.sa_handler = on_sigint;  // no SA_RESTART: a blocking read() returns EINTR and the loop ends
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    std::string stopped_by = "end_of_input";

    std::string path = a->file.empty() ? a->realtime_file : a->file;
    if (!path.empty()) {
      audio::LoadConfig load;
      load.min_duration_s = 0;
      audio::Audio in = audio::load(path, load);
      serve::StreamEngine engine(model, in.sample_rate_hz, a->cfg);
      const size_t chunk = std::max<size_t>(1, size_t(in.sample_rate_hz / 10));  // 100 ms
      auto t0 = std::chrono::steady_clock::now();
      for (size_t i = 0; i < in.samples.size(); i += chunk) {
        if (g_interrupted) { stopped_by = "signal"; break; }
        size_t n = std::min(chunk, in.samples.size() - i);
        if (!a->realtime_file.empty())
          std::this_thread::sleep_until(t0 + std::chrono::duration<double>(double(i + n) / in.sample_rate_hz));
        emit(engine.push(in.samples.data() + i, n), engine);
      }
      auto s = engine.summary();
      s["stopped_by"] = stopped_by;
      std::cout << util::json_text(s) << std::endl;
      return;
    }

    if (a->rate_hz < 1000 || a->rate_hz > 384000) throw Error("stream: --rate " + std::to_string(a->rate_hz) + ": must be in [1000, 384000] Hz");
    serve::StreamEngine engine(model, a->rate_hz, a->cfg);
    serve::PcmDecoder pcm(a->format, a->channels);
    std::vector<char> buf(pcm.frame_bytes() * 4096);
    size_t have = 0;  // bytes in buf (a partial frame is kept for the next read)
    std::vector<float> mono;
    for (;;) {
      if (g_interrupted) { stopped_by = "signal"; break; }
      ssize_t got = ::read(STDIN_FILENO, buf.data() + have, buf.size() - have);
      if (got < 0) {
        if (errno == EINTR) continue;
        throw Error(std::string("stream: stdin: ") + std::strerror(errno));
      }
      if (got == 0) break;
      have += size_t(got);
      size_t used = pcm.decode(buf.data(), have, mono);
      emit(engine.push(mono.data(), mono.size()), engine);
      std::memmove(buf.data(), buf.data() + used, have - used);
      have -= used;
    }
    auto s = engine.summary();
    s["stopped_by"] = stopped_by;
    std::cout << util::json_text(s) << std::endl;
  });
}

Registrar registrar("stream", setup);

}  // namespace
}  // namespace murmur::cli
