// Real-time and web-service timings (plain main, no google-benchmark runner):
//   1. `murmur stream`'s engine on one thread: per-hop latency and real-time factor (audio seconds
//      per compute second) over a long stream of heart sounds, 5 s window every 1 s.
//   2. `murmur serve` under load: N requests from C concurrent loopback clients posting a 20 s
//      recording: throughput, p50/p99 latency, errors.
//   3. Malformed requests (random bytes, truncated WAVs, huge headers, lying Content-Length),
//      then /healthz must still answer.
//
//   serve_bench [--model M] [--requests 500] [--clients 16] [--workers 4] [--copies 1]
//               [--torch-threads 1] [--wav FILE]
// Without --model it trains a tiny native model on synthetic data first (same architecture,
// so the same cost per request); without --wav it posts a 20 s synthetic recording.
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

#include "data/index.h"
#include "serve/server.h"
#include "serve/stream_model.h"
#include "synth/synth.h"
#include "experiment/train_run.h"
#include "pipeline/predictor.h"
#include "util/fs.h"
#include "util/alloc.h"

namespace {

using Clock = std::chrono::steady_clock;

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, size_t(q * double(v.size() - 1) + 0.5))];
}

std::string wav_bytes(const std::vector<float>& x, int rate_hz) {
  auto u32 = [](std::string& s, uint32_t v) { for (int i = 0; i < 4; ++i) s += char((v >> (8 * i)) & 0xff); };
  auto u16 = [](std::string& s, uint16_t v) { s += char(v & 0xff); s += char(v >> 8); };
  std::string s = "RIFF";
  u32(s, uint32_t(36 + x.size() * 2));
  s += "WAVEfmt ";
  u32(s, 16); u16(s, 1); u16(s, 1); u32(s, uint32_t(rate_hz)); u32(s, uint32_t(rate_hz * 2)); u16(s, 2); u16(s, 16);
  s += "data";
  u32(s, uint32_t(x.size() * 2));
  for (float v : x) u16(s, uint16_t(int16_t(std::lround(std::clamp(v, -1.f, 1.f) * 32767))));
  return s;
}

std::vector<float> synth_heart(double seconds) {
  murmur::synth::SynthConfig sc;
  sc.duration_s = seconds;
  return murmur::synth::synth_recording(murmur::data::class_index("AS"), "Aor", "sit",
                                        murmur::synth::draw_patient(1, 1), 7, sc);
}

std::string tiny_model() {
  auto dir = std::filesystem::temp_directory_path() / ("murmur_serve_bench_" + std::to_string(::getpid()));
  murmur::synth::SynthConfig sc;
  sc.n_patients = 20;
  murmur::synth::write_synthetic_dataset((dir / "data").string(), sc);
  murmur::experiment::TrainRunOptions o;
  auto preset = murmur::pipeline::make_preset("native");
  preset->train.epochs = 2;
  o.preset = std::move(preset);
  o.data.data_dir = (dir / "data").string();
  o.data.quiet = true;
  o.out_dir = (dir / "model").string();
  murmur::experiment::train_run(o);
  return o.out_dir + "/model.pth";
}

}  // namespace

int main(int argc, char** argv) {
  murmur::util::keep_freed_memory();  // as the murmur CLI does
  std::string model, wav_path;
  int requests = 500, clients = 16, workers = 4, copies = 1, torch_threads = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--model") model = v;
    else if (k == "--wav") wav_path = v;
    else if (k == "--requests") requests = std::stoi(v);
    else if (k == "--clients") clients = std::stoi(v);
    else if (k == "--workers") workers = std::stoi(v);
    else if (k == "--copies") copies = std::stoi(v);
    else if (k == "--torch-threads") torch_threads = std::stoi(v);
    else { std::fprintf(stderr, "serve_bench: unknown option %s\n", k.c_str()); return 2; }
  }
  torch::set_num_threads(torch_threads);
  if (model.empty()) model = tiny_model();
  std::string wav = wav_path.empty() ? wav_bytes(synth_heart(20), 4000) : murmur::util::read_file(wav_path);
  std::printf("model %s, torch threads %d, %u hardware threads\n", model.c_str(), torch_threads,
              std::thread::hardware_concurrency());

  // 1. Stream: 10 minutes of heart sounds at 4 kHz in 100 ms chunks.
  {
    auto predictor = murmur::pipeline::Predictor::open(model);
    murmur::serve::StreamEngine engine(murmur::serve::stream_model(predictor), 4000);
    auto heart = synth_heart(60);
    std::vector<double> hop_ms;
    for (int rep = 0; rep < 10; ++rep)
      for (size_t i = 0; i < heart.size(); i += 400)
        for (auto& h : engine.push(heart.data() + i, std::min<size_t>(400, heart.size() - i))) hop_ms.push_back(h.latency_ms);
    auto s = engine.summary();
    std::printf("stream: %.0f s of audio, %zu hops (%d ok), hop latency p50 %.2f ms p99 %.2f ms max %.2f ms, "
                "real-time factor %.0f\n",
                s["duration_s"].get<double>(), hop_ms.size(), s["n_ok_hops"].get<int>(), percentile(hop_ms, 0.5),
                percentile(hop_ms, 0.99), s["max_latency_ms"].get<double>(), s["real_time_factor"].get<double>());
  }

  // 2. Load.
  murmur::serve::ServerConfig cfg;
  cfg.port = 0;
  cfg.workers = workers;
  cfg.model_copies = copies;
  murmur::serve::Server server(model, cfg);
  server.start();
  std::vector<std::vector<double>> per_client{size_t(clients)};
  std::atomic<int> next{0}, errors{0};
  auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c)
    threads.emplace_back([&, c] {
      httplib::Client cli("127.0.0.1", server.port());
      cli.set_read_timeout(60);
      while (next++ < requests) {
        auto s = Clock::now();
        auto r = cli.Post("/v1/predict", wav, "audio/wav");
        per_client[size_t(c)].push_back(std::chrono::duration<double, std::milli>(Clock::now() - s).count());
        if (!r || r->status != 200) {
          if (errors++ == 0)
            std::fprintf(stderr, "first error: %s\n", r ? r->body.c_str() : httplib::to_string(r.error()).c_str());
        }
      }
    });
  for (auto& t : threads) t.join();
  double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  std::vector<double> all;
  for (auto& v : per_client) all.insert(all.end(), v.begin(), v.end());
  std::printf("load: %d requests, %d clients, %d workers, %d model copies: %.1f req/s, latency p50 %.1f ms "
              "p99 %.1f ms max %.1f ms, %d errors\n",
              requests, clients, workers, copies, double(all.size()) / wall, percentile(all, 0.5),
              percentile(all, 0.99), percentile(all, 1.0), errors.load());

  // 3. Malformed requests, then health.
  std::mt19937 rng(1);
  int sent = 0, answered_4xx = 0;
  httplib::Client cli("127.0.0.1", server.port());
  cli.set_read_timeout(10);
  for (int i = 0; i < 50; ++i) {
    std::string junk(size_t(rng() % 20000 + 1), '\0');
    for (auto& ch : junk) ch = char(rng());
    auto cut = wav.substr(0, rng() % wav.size());
    for (const std::string* body : {&junk, &cut}) {
      auto r = cli.Post("/v1/predict", *body, "audio/wav");
      ++sent;
      if (r && r->status >= 400 && r->status < 500) ++answered_4xx;
    }
    httplib::Headers huge = {{"X-Junk", std::string(rng() % 50000 + 9000, 'a')}};
    auto r = cli.Get("/healthz", huge);
    ++sent;
    if (r && r->status >= 400 && r->status < 500) ++answered_4xx;
  }
  auto h = httplib::Client("127.0.0.1", server.port()).Get("/healthz");
  std::printf("malformed: %d requests (random bytes, truncated WAVs, huge headers), %d answered 4xx; "
              "/healthz afterwards: %s\n",
              sent, answered_4xx, h && h->status == 200 ? "200 ok" : "FAILED");
  server.stop();
  return errors == 0 && h && h->status == 200 ? 0 : 1;
}
