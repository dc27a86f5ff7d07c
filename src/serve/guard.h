// The connection layer of `murmur serve`: an httplib::Server whose connections a hostile client
// cannot use to stall the service or grow its memory. It owns every socket read and write
// (httplib only parses), so it can bound what httplib itself does not: the size and number of
// request headers, the time a request may take to arrive, the bytes of a body, and the number of
// open connections overall and per client address. One thread per open connection (up to
// max_connections); the handlers bound their own expensive work (see server.cpp).
//
//   murmur::serve::Limits lim;                       // the defaults in ServerConfig
//   murmur::serve::GuardedServer http(lim);
//   http.Get("/healthz", ...);                       // the ordinary httplib API
//   // in a handler that answers before reading the body:
//   murmur::serve::GuardedServer::close_after_response(res);
//   // in the error handler: what a failed read ran into
//   if (auto* hit = murmur::serve::GuardedServer::limit_hit()) ...   // "headers", "timeout", ...
#pragma once

#include <httplib.h>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>

namespace murmur::serve {

struct Limits {
  int max_connections = 64;             // open connections overall; more get 503
  int max_connections_per_client = 16;  // open connections from one address; more get 503
  double read_timeout_s = 5;            // longest silence while a request arrives; keep-alive idle
  double write_timeout_s = 5;           // longest stall while a response is written
  double request_timeout_s = 30;        // a whole request (line, headers, body) must arrive in this
  size_t max_header_bytes = 32 * 1024;  // request line + headers; more get 431
  int max_headers = 100;                // header lines; more get 431
  size_t max_body_bytes = 20u << 20;    // raw body bytes read (chunk framing included) before 413
  int max_requests_per_connection = 100;
  bool log_requests = false;            // one line per request on stderr
};

// What the calling thread's connection ran into (see GuardedServer::limit_hit).
enum class LimitHit { none, headers, timeout, body };

class GuardedServer : public httplib::Server {
 public:
  explicit GuardedServer(const Limits& limits);
  ~GuardedServer() override;

  const Limits& limits() const { return limits_; }
  int open_connections() const { return open_.load(); }

  // For handlers, on the thread serving the request:
  // the request's body was not (fully) read: answer, then close the connection (lingering, so
  // that the client still reads the answer while it is sending).
  static void close_after_response(httplib::Response& res);
  // The limit the connection's last failed read ran into, or nullptr: "headers", "timeout", "body".
  static LimitHit limit_hit();
  // The client address of the connection (also set when the request could not be parsed).
  static std::string client_address();
  // Milliseconds since the current request's first byte arrived.
  static double request_ms();

  // Writes one log line (no-op unless limits.log_requests); client bytes are sanitised.
  void log_line(const std::string& client, const std::string& method, const std::string& path, int status,
                size_t bytes, double ms) const;

 private:
  bool process_and_close_socket(socket_t sock) override;
  void reject(socket_t sock, const std::string& client, const std::string& why, bool on_accept_thread);

  Limits limits_;
  std::atomic<int> open_{0};
  std::mutex clients_mutex_;
  std::map<std::string, int> clients_;  // open connections per client address
};

}  // namespace murmur::serve
