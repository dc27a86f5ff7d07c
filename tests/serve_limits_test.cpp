// murmur serve against one hostile client at a time (issue 16, items 4-6): oversized and chunked
// bodies are refused early, slow clients do not stall /healthz, header floods get 431, one
// address cannot take every connection, and each request is logged. Default limits throughout.
#include <httplib.h>

#include <atomic>
#include <thread>

#include "raw_http.h"
#include "serve/server.h"
#include "serve_test_util.h"

namespace ms = murmur::serve;
namespace mt = murmur::test;
using Clock = std::chrono::steady_clock;

namespace {

ms::ServerConfig small_config() {
  ms::ServerConfig cfg;
  cfg.port = 0;
  cfg.workers = 2;
  cfg.max_upload_mb = 1;
  return cfg;
}

const std::string& heart_wav() {
  static std::string w = mt::wav_bytes(mt::synth_heart(6), 4000);
  return w;
}

// GET /healthz on a fresh connection: its status, and how long it took in *ms.
int health(const ms::Server& s, double* ms) {
  auto t0 = Clock::now();
  httplib::Client c("127.0.0.1", s.port());
  c.set_connection_timeout(5);
  c.set_read_timeout(5);
  auto r = c.Get("/healthz");
  *ms = mt::ms_since(t0);
  return r ? r->status : 0;
}

}  // namespace

TEST(ServeLimits, ContentLengthOverTheLimitIsRefusedBeforeTheBody) {
  ms::Server s(mt::tiny_model_path(), small_config());
  s.start();
  mt::RawConn c(s.port());
  ASSERT_TRUE(c.ok());
  auto t0 = Clock::now();
  // 1 GB announced, none of it sent: the answer must not wait for the body.
  ASSERT_TRUE(c.send("POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: audio/wav\r\n"
                     "Content-Length: 1073741824\r\n\r\n"));
  std::string r = c.response(3000);
  EXPECT_EQ(mt::status_of(r), 413) << r;
  EXPECT_LT(mt::ms_since(t0), 1000);
  EXPECT_NE(r.find("limit"), std::string::npos) << r;
  // With Expect: 100-continue the client is told before it sends anything.
  mt::RawConn e(s.port());
  ASSERT_TRUE(e.send("POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: audio/wav\r\nExpect: 100-continue\r\n"
                     "Content-Length: 1073741824\r\n\r\n"));
  EXPECT_EQ(mt::status_of(e.response(3000)), 413);
}

TEST(ServeLimits, ChunkedBodyIsCountedAsItStreams) {
  ms::Server s(mt::tiny_model_path(), small_config());
  s.start();
  double rss0 = mt::rss_mb();
  mt::RawConn c(s.port());
  ASSERT_TRUE(c.send("POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: audio/wav\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n"));
  // Up to 64 MB of chunks of 64 KB against a 1 MB limit; the answer should come after ~1 MB.
  const std::string chunk = "10000\r\n" + std::string(0x10000, '\0') + "\r\n";
  size_t sent = 0;
  while (sent < (64u << 20) && !c.readable(0) && c.send(chunk, 3000)) sent += 0x10000;
  std::string r = c.response(3000);
  EXPECT_EQ(mt::status_of(r), 413) << r.substr(0, 300);
  EXPECT_LT(sent, 8u << 20) << "the server read the chunked body far past its 1 MB limit";
  EXPECT_LT(mt::rss_mb() - rss0, 40);
  // A chunked upload within the limit is still classified.
  httplib::Client ok("127.0.0.1", s.port());
  size_t at = 0;
  auto p = ok.Post("/v1/predict", [&](size_t, httplib::DataSink& sink) {
    size_t n = std::min<size_t>(4096, heart_wav().size() - at);
    sink.write(heart_wav().data() + at, n);
    if ((at += n) == heart_wav().size()) sink.done();
    return true;
  }, "audio/wav");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->status, 200) << p->body;
}

TEST(ServeLimits, SlowClientsDoNotStallHealth) {
  ms::Server s(mt::tiny_model_path(), small_config());
  s.start();
  // Three times as many slow connections as workers, each dripping a request that never ends.
  std::atomic<bool> stop{false};
  std::vector<std::thread> slow;
  for (int i = 0; i < 3 * small_config().workers; ++i)
    slow.emplace_back([&] {
      mt::RawConn c(s.port());
      std::string head = "POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n";
      for (size_t k = 0; !stop && c.send(std::string(1, head[k % head.size()])); ++k)
        for (int t = 0; t < 10 && !stop; ++t) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  double worst = 0;
  for (int i = 0; i < 5; ++i) {
    double ms = 0;
    EXPECT_EQ(health(s, &ms), 200);
    worst = std::max(worst, ms);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_LT(worst, 1000) << "GET /healthz waited behind slow clients";
  stop = true;
  for (auto& t : slow) t.join();
}

TEST(ServeLimits, HeaderFloodIs431) {
  ms::Server s(mt::tiny_model_path(), small_config());
  s.start();
  double rss0 = mt::rss_mb();
  mt::RawConn c(s.port());
  ASSERT_TRUE(c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n"));
  // 200k lines of 100 bytes (20 MB) unless the server answers first.
  const std::string lines = [] {
    std::string l;
    for (int i = 0; i < 100; ++i) l += "X-Flood-" + std::to_string(i) + ": " + std::string(86, 'a') + "\r\n";
    return l;
  }();
  size_t sent = 0;
  while (sent < 2000 && !c.readable(0) && c.send(lines, 3000)) ++sent;
  c.send("\r\n", 500);
  std::string r = c.response(3000);
  EXPECT_EQ(mt::status_of(r), 431) << r.substr(0, 300);
  EXPECT_LT(sent, 1000u) << "the server read " << sent * 100 << " header lines";
  EXPECT_LT(mt::rss_mb() - rss0, 40);
  double ms = 0;
  EXPECT_EQ(health(s, &ms), 200);
}

TEST(ServeLimits, OneClientCannotTakeEveryConnection) {
  ms::Server s(mt::tiny_model_path(), small_config());
  s.start();
  std::vector<std::unique_ptr<mt::RawConn>> idle;
  for (int i = 0; i < 16; ++i) {  // the default per-client limit: connections that send nothing
    idle.push_back(std::make_unique<mt::RawConn>(s.port()));
    ASSERT_TRUE(idle.back()->send("G"));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  mt::RawConn extra(s.port());
  ASSERT_TRUE(extra.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string r = extra.response(3000);
  EXPECT_EQ(mt::status_of(r), 503) << r;
  EXPECT_NE(r.find("per client"), std::string::npos) << r;
  idle.clear();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  double ms = 0;
  EXPECT_EQ(health(s, &ms), 200);
}

TEST(ServeLimits, EachRequestIsLoggedOnStderr) {
  ms::ServerConfig cfg = small_config();
  cfg.log_requests = true;  // what `murmur serve` sets unless --quiet
  ms::Server s(mt::tiny_model_path(), cfg);
  s.start();
  testing::internal::CaptureStderr();
  httplib::Client c("127.0.0.1", s.port());
  auto h = c.Get("/healthz");
  auto p = c.Post("/v1/predict", heart_wav(), "audio/wav");
  auto n = c.Get("/no\x1b[31mthing");
  s.stop();
  std::string log = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(h && p && n);
  EXPECT_NE(log.find("127.0.0.1 \"GET /healthz\" 200 "), std::string::npos) << log;
  EXPECT_NE(log.find("\"POST /v1/predict\" 200 " + std::to_string(p->body.size()) + " B "), std::string::npos) << log;
  EXPECT_NE(log.find("\" 404 "), std::string::npos) << log;
  EXPECT_EQ(log.find('\x1b'), std::string::npos) << "client bytes reach the log unescaped";
  EXPECT_NE(log.find(" ms\n"), std::string::npos) << log;
}
