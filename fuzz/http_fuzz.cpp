// Fuzz target: `murmur serve` as a client meets it. A real server (the small native model in
// fuzz/corpus/checkpoint/native_tiny.pth on the native engine without LibTorch, as `murmur serve`
// runs it; one worker, short timeouts) listens on a loopback port;
// each input is sent as raw bytes on a fresh connection, the write side is closed, and the answer
// is read to the end. This covers murmur's connection guard (limits, chunked counting, timeouts),
// cpp-httplib's request parser, the multipart reader and every handler, uploads included.
// Seeds: fuzz/corpus/http (valid GET/POST requests, chunked and multipart bodies, the hostile
// requests of tests/serve_hostile_test.cpp).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>

#include "fuzz_util.h"
#include "serve/serve_model.h"
#include "serve/server.h"

namespace {

std::unique_ptr<murmur::serve::Server> server;

// A TCP socket with send and receive timeouts longer than the server's own (waiting longer would
// be a hang); aborts when none can be made.
int open_socket() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) std::abort();
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  return fd;
}

void send_and_drain(int port, const uint8_t* data, size_t size) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // At over 1,000 inputs a second the loopback can run short of ephemeral ports (each input is a
  // connection, and closed ones linger in TIME_WAIT): wait for one, up to 10 s. Still no
  // connection: the server died.
  int fd = open_socket();
  for (int tries = 0; ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0; ++tries) {
    if (tries == 1000) std::abort();
    ::close(fd);
    ::usleep(10000);
    fd = open_socket();
  }
  for (size_t sent = 0; sent < size;) {
    ssize_t n = ::send(fd, data + sent, size - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer (413, 431) and close before reading everything
    sent += size_t(n);
  }
  ::shutdown(fd, SHUT_WR);
  char buf[65536];
  while (::recv(fd, buf, sizeof buf, 0) > 0) {
  }
  ::close(fd);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  murmur::serve::ServerConfig cfg;
  cfg.port = 0;
  cfg.workers = 1;
  cfg.max_upload_mb = 1;      // fuzz inputs are small; a low limit lets the fuzzer reach the 413 paths
  cfg.max_duration_s = 30;
  cfg.read_timeout_s = 0.5;   // an input is complete once sent: a stall is the parser waiting for more
  cfg.request_timeout_s = 2;
  const std::string model = MURMUR_SOURCE_DIR "/fuzz/corpus/checkpoint/native_tiny.pth";
  auto engine = murmur::serve::native_serve_model(model, 1);
  if (!engine) std::abort();  // the committed model is one the native engine runs
  server = std::make_unique<murmur::serve::Server>(model, std::move(engine), cfg);
  server->start();
  // Stopped (threads joined, memory freed) before LeakSanitizer's check at exit, which then sees
  // only what a request really leaked. Per-input leak checks are off for this target
  // (fuzz/http_fuzz.options): the server's threads may still hold a request's memory, in
  // registers LSan does not scan, when the input returns, and they showed up as false leaks.
  std::atexit([] { server.reset(); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  send_and_drain(server->port(), data, size);
  return 0;
}
