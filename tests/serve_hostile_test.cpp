// murmur serve under every hostile client at once (issue 16): slowloris connections (more than
// the workers), oversized Content-Length bodies, endless chunked bodies, header floods and junk
// bytes, all in parallel with a well-behaved client. Its requests must all succeed with p99
// under 1 s, and this process's memory must stay bounded throughout.
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <random>
#include <thread>

#include "raw_http.h"
#include "serve/server.h"
#include "serve_test_util.h"

namespace ms = murmur::serve;
namespace mt = murmur::test;
using Clock = std::chrono::steady_clock;

namespace {

void nap(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// Sends `piece` over and over after `head` until the server answers or closes; the status.
int flood(int port, const std::string& head, const std::string& piece, size_t max_bytes) {
  mt::RawConn c(port);
  if (!c.send(head)) return 0;
  for (size_t sent = 0; sent < max_bytes && !c.readable(0) && c.send(piece, 2000);) sent += piece.size();
  return mt::status_of(c.response(2000));
}

}  // namespace

TEST(ServeHostile, ValidTrafficSurvivesEveryAttackAtOnce) {
  ms::ServerConfig cfg;
  cfg.port = 0;
  cfg.workers = 2;
  cfg.max_upload_mb = 1;
  // Every attacker shares 127.0.0.1 with the valid client: the per-client cap (tested in
  // serve_limits_test) would refuse the valid client too, so here it is the overall cap.
  cfg.max_connections_per_client = cfg.max_connections;
  ms::Server s(mt::tiny_model_path(), cfg);
  s.start();
  const int port = s.port();
  const std::string wav = mt::wav_bytes(mt::synth_heart(6), 4000);
  {
    httplib::Client warm("127.0.0.1", port);
    ASSERT_EQ(warm.Post("/v1/predict", wav, "audio/wav")->status, 200);  // model and allocator warm
  }
  const double rss0 = mt::rss_mb();
  std::atomic<double> rss_peak{rss0};
  std::atomic<bool> stop{false};
  std::mutex m;
  std::map<std::string, std::map<int, int>> seen;  // attack -> status -> count
  auto note = [&](const std::string& what, int status) {
    std::lock_guard<std::mutex> lock(m);
    ++seen[what][status];
  };

  std::vector<std::thread> threads;
  threads.emplace_back([&] {  // memory sampler
    while (!stop) {
      rss_peak = std::max(rss_peak.load(), mt::rss_mb());
      nap(50);
    }
  });
  for (int i = 0; i < 4 * cfg.workers; ++i)  // slowloris: a byte every 300 ms, never finishing
    threads.emplace_back([&, i] {
      while (!stop) {
        mt::RawConn c(port);
        std::string head = "POST /v1/predict HTTP/1.1\r\nHost: x\r\nX-Slow-" + std::to_string(i) + ": ";
        for (size_t k = 0; !stop && c.send(std::string(1, k < head.size() ? head[k] : 'a'), 1000); ++k) nap(300);
        note("slowloris", mt::status_of(c.response(100)));
      }
    });
  threads.emplace_back([&] {  // 1 GB announced, sent until refused
    while (!stop) {
      note("content-length", flood(port, "POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: audio/wav\r\n"
                                         "Content-Length: 1073741824\r\n\r\n", std::string(65536, '\0'), 64u << 20));
      nap(100);
    }
  });
  threads.emplace_back([&] {  // an endless chunked body
    while (!stop) {
      note("chunked", flood(port, "POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: audio/wav\r\n"
                                  "Transfer-Encoding: chunked\r\n\r\n",
                            "10000\r\n" + std::string(0x10000, '\0') + "\r\n", 64u << 20));
      nap(100);
    }
  });
  threads.emplace_back([&] {  // 200k header lines of 1 KB unless refused
    const std::string line = "X-Flood: " + std::string(1000, 'a') + "\r\n";
    while (!stop) {
      note("headers", flood(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n", line, 200000 * line.size()));
      nap(100);
    }
  });
  threads.emplace_back([&] {  // junk bytes
    std::mt19937 rng(16);
    while (!stop) {
      std::string junk(4096, '\0');
      for (auto& ch : junk) ch = char(rng());
      mt::RawConn c(port);
      c.send(junk, 1000);
      note("junk", mt::status_of(c.response(2000)));
      nap(50);
    }
  });

  nap(1000);  // let the attacks take hold
  std::vector<double> latencies;
  std::vector<std::string> failures;
  const auto t_end = Clock::now() + std::chrono::seconds(12);
  for (int i = 0; Clock::now() < t_end; ++i) {
    httplib::Client c("127.0.0.1", port);
    c.set_connection_timeout(5);
    c.set_read_timeout(5);
    auto t0 = Clock::now();
    auto r = i % 2 ? c.Post("/v1/predict", wav, "audio/wav") : c.Get("/healthz");
    latencies.push_back(mt::ms_since(t0));
    if (!r || r->status != 200)
      failures.push_back(std::string(i % 2 ? "predict" : "healthz") + ": " +
                         (r ? std::to_string(r->status) + " " + r->body : httplib::to_string(r.error())));
    nap(50);
  }
  stop = true;
  for (auto& t : threads) t.join();

  std::sort(latencies.begin(), latencies.end());
  const double p99 = latencies[std::min(latencies.size() - 1, size_t(0.99 * double(latencies.size())))];
  std::string summary;
  for (auto& [what, statuses] : seen)
    for (auto& [status, n] : statuses) summary += what + " " + std::to_string(status) + " x" + std::to_string(n) + "; ";
  EXPECT_TRUE(failures.empty()) << failures.size() << " valid requests failed, first: " << failures[0];
  EXPECT_GE(latencies.size(), 40u) << summary;
  EXPECT_LT(p99, 1000) << "valid requests: p99 " << p99 << " ms, max " << latencies.back() << " ms; " << summary;
  EXPECT_LT(rss_peak - rss0, 200) << "RSS grew from " << rss0 << " MB to " << rss_peak << " MB; " << summary;
  EXPECT_GT(seen["content-length"][413], 0) << summary;
  EXPECT_GT(seen["chunked"][413], 0) << summary;
  EXPECT_GT(seen["headers"][431], 0) << summary;
  std::cerr << "valid requests: " << latencies.size() << ", p99 " << p99 << " ms; RSS +" << rss_peak - rss0
            << " MB; attacks: " << summary << "\n";
  s.stop();
}

namespace {

ms::ServerConfig tight_config() {
  ms::ServerConfig cfg;
  cfg.port = 0;
  cfg.workers = 1;
  cfg.max_upload_mb = 1;
  return cfg;
}

}  // namespace

TEST(ServeHostile, OverallConnectionCapAnswers503) {
  ms::ServerConfig cfg = tight_config();
  cfg.max_connections = 3;
  cfg.max_connections_per_client = 3;
  ms::Server s(mt::tiny_model_path(), cfg);
  s.start();
  std::vector<std::unique_ptr<mt::RawConn>> idle;
  for (int i = 0; i < 3; ++i) {
    idle.push_back(std::make_unique<mt::RawConn>(s.port()));
    ASSERT_TRUE(idle.back()->send("G"));
  }
  nap(200);
  // Refused on the accept thread without reading: the 503 arrives, or at worst a reset.
  mt::RawConn extra(s.port());
  extra.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string r = extra.response(2000);
  if (!r.empty()) EXPECT_EQ(mt::status_of(r), 503) << r;
  idle.clear();
  nap(300);
  httplib::Client c("127.0.0.1", s.port());
  auto h = c.Get("/healthz");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
}

TEST(ServeHostile, SlowRequestsAreCutAtTheRequestTimeout) {
  ms::ServerConfig cfg = tight_config();
  cfg.request_timeout_s = 1;
  ms::Server s(mt::tiny_model_path(), cfg);
  s.start();
  // Headers a byte every 100 ms (never silent for the 5 s read timeout); then a body likewise.
  for (auto [at_once, drip] : {std::pair<std::string, std::string>{"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ",
                                                                    std::string(100, 'a')},
                               {"POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n",
                                std::string(100, 'a')}}) {
    mt::RawConn c(s.port());
    auto t0 = Clock::now();
    ASSERT_TRUE(c.send(at_once));
    for (size_t k = 0; k < drip.size() && !c.readable(0) && c.send(drip.substr(k, 1)); ++k) nap(100);
    std::string r = c.response(2000);
    EXPECT_EQ(mt::status_of(r), 408) << r;
    EXPECT_LT(mt::ms_since(t0), 2500);
  }
}

TEST(ServeHostile, UploadsInMemoryHaveABudget) {
  ms::ServerConfig cfg = tight_config();
  cfg.max_buffered_mb = 2;
  ms::Server s(mt::tiny_model_path(), cfg);
  s.start();
  // Two uploads hold 0.9 MB each and stall; a third passes the 2 MB budget: 503.
  const std::string head = "POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: audio/wav\r\nContent-Length: 1000000\r\n\r\n";
  mt::RawConn a(s.port()), b(s.port()), c(s.port());
  ASSERT_TRUE(a.send(head + std::string(900000, 'a')));
  ASSERT_TRUE(b.send(head + std::string(900000, 'b')));
  nap(300);
  ASSERT_TRUE(c.send(head + std::string(900000, 'c')));
  std::string r = c.response(3000);
  EXPECT_EQ(mt::status_of(r), 503) << r;
  EXPECT_NE(r.find("retry"), std::string::npos) << r;
  a.close(), b.close();
  nap(300);  // their share is given back
  httplib::Client ok("127.0.0.1", s.port());
  auto p = ok.Post("/v1/predict", mt::wav_bytes(mt::synth_heart(6), 4000), "audio/wav");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->status, 200) << p->body;
}
