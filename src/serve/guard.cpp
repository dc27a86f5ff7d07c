#include "serve/guard.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

namespace murmur::serve {

namespace {

using Clock = std::chrono::steady_clock;

// The per-connection state a handler can reach from its own thread.
struct Connection {
  std::string client;
  LimitHit hit = LimitHit::none;
  bool close = false;            // the body was not read: close after the response
  Clock::time_point started{};   // the current request's first byte
};
thread_local Connection* tl_conn = nullptr;
thread_local bool tl_over_capacity = false;  // set while the accept thread rejects a connection

std::string address_of(socket_t sock, bool peer) {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  int rc = peer ? getpeername(sock, reinterpret_cast<sockaddr*>(&a), &len)
                : getsockname(sock, reinterpret_cast<sockaddr*>(&a), &len);
  if (rc != 0) return "";
  char buf[INET6_ADDRSTRLEN] = "";
  if (a.ss_family == AF_INET) inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&a)->sin_addr, buf, sizeof buf);
  if (a.ss_family == AF_INET6) inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&a)->sin6_addr, buf, sizeof buf);
  return buf;
}

int port_of(socket_t sock, bool peer) {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  int rc = peer ? getpeername(sock, reinterpret_cast<sockaddr*>(&a), &len)
                : getsockname(sock, reinterpret_cast<sockaddr*>(&a), &len);
  if (rc != 0) return 0;
  if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&a)->sin_port);
  if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&a)->sin6_port);
  return 0;
}

// Waits until sock has `events` or `until`, in short slices so that a stopping server is noticed:
// 1 ready, 0 timed out (or stopping), -1 error.
int wait_for(socket_t sock, short events, Clock::time_point until, const std::atomic<socket_t>& listening) {
  for (;;) {
    if (listening == INVALID_SOCKET) return 0;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
    if (left <= 0) return 0;
    pollfd p{sock, events, 0};
    int rc = ::poll(&p, 1, int(std::min<long long>(left, 100)));
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) return -1;
    if (rc > 0) return 1;
  }
}

Clock::time_point after(double seconds) {
  return Clock::now() + std::chrono::microseconds(static_cast<long long>(seconds * 1e6));
}

// A socket stream with the limits: head (request line + headers) size and lines, body bytes,
// silence between reads and a deadline for the whole request. A read past a limit fails (-1)
// and records which limit; httplib then answers 400, which the error handler turns into the
// right status (431, 408, 413).
class GuardedStream : public httplib::Stream {
 public:
  GuardedStream(socket_t sock, const Limits& lim, const std::atomic<socket_t>& listening, Connection& conn)
      : sock_(sock), lim_(lim), listening_(listening), conn_(conn) {}

  // Waits (idle keep-alive) for the next request's first byte; false on EOF, timeout, stop.
  bool next_request() {
    if (off_ == size_ && wait_for(sock_, POLLIN, after(lim_.read_timeout_s), listening_) != 1) return false;
    if (off_ == size_ && !fill(Clock::now() + std::chrono::seconds(1))) return false;
    in_head_ = true;
    head_bytes_ = 0, head_lines_ = 0, line_len_ = 0, body_bytes_ = 0;
    conn_.started = Clock::now();
    deadline_ = after(lim_.request_timeout_s);
    write_deadline_ = Clock::time_point::max();
    return true;
  }

  bool is_readable() const override { return off_ < size_ || wait_for(sock_, POLLIN, after(lim_.read_timeout_s), listening_) == 1; }
  bool is_writable() const override { return wait_for(sock_, POLLOUT, after(lim_.write_timeout_s), listening_) == 1; }

  ssize_t read(char* ptr, size_t size) override {
    if (off_ == size_) {
      auto until = std::min(deadline_, after(lim_.read_timeout_s));
      if (!fill(until)) return conn_.hit == LimitHit::none ? 0 : -1;
    }
    size_t n = std::min(size, size_ - off_);
    if (in_head_) {
      n = std::min<size_t>(n, 1);  // httplib reads the head a byte at a time anyway
      if (!count_head(buf_[off_])) return -1;
    } else if ((body_bytes_ += n) > lim_.max_body_bytes) {
      conn_.hit = LimitHit::body;
      return -1;
    }
    std::memcpy(ptr, buf_ + off_, n);
    off_ += n;
    return ssize_t(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (write_deadline_ == Clock::time_point::max()) write_deadline_ = after(lim_.request_timeout_s);
    auto until = std::min(write_deadline_, after(lim_.write_timeout_s));
    if (wait_for(sock_, POLLOUT, until, listening_) != 1) return -1;
    ssize_t n = ::send(sock_, ptr, size, MSG_NOSIGNAL | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : n;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = conn_.client;
    port = port_of(sock_, true);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = address_of(sock_, false);
    port = port_of(sock_, false);
  }
  socket_t socket() const override { return sock_; }

 private:
  bool fill(Clock::time_point until) {
    int w = wait_for(sock_, POLLIN, until, listening_);
    if (w == 0 && listening_ != INVALID_SOCKET) conn_.hit = LimitHit::timeout;
    if (w != 1) return false;
    ssize_t n = ::recv(sock_, buf_, sizeof buf_, MSG_DONTWAIT);
    if (n <= 0) return false;
    off_ = 0, size_ = size_t(n);
    return true;
  }

  // Counts one head byte; false (and the limit recorded) past a limit. The head ends at the
  // first empty line after the request line.
  bool count_head(char c) {
    if (++head_bytes_ > lim_.max_header_bytes) return conn_.hit = LimitHit::headers, false;
    char prev = prev_;
    prev_ = c;
    if (c != '\n') return ++line_len_, true;
    bool empty = line_len_ == 0 || (line_len_ == 1 && prev == '\r');
    line_len_ = 0;
    if (empty && head_lines_ > 0) in_head_ = false;
    if (++head_lines_ > lim_.max_headers + 1) return conn_.hit = LimitHit::headers, false;
    return true;
  }

  socket_t sock_;
  const Limits& lim_;
  const std::atomic<socket_t>& listening_;
  Connection& conn_;
  char buf_[4096];
  size_t off_ = 0, size_ = 0;
  bool in_head_ = true;
  char prev_ = 0;
  size_t head_bytes_ = 0, line_len_ = 0, body_bytes_ = 0;
  int head_lines_ = 0;
  Clock::time_point deadline_ = Clock::time_point::max(), write_deadline_ = Clock::time_point::max();
};

}  // namespace

namespace {

// One thread per open connection, at most `max` at once. Past it, the connection is handed back
// to the accept thread, flagged, and process_and_close_socket answers 503 without reading.
class ConnectionThreads : public httplib::TaskQueue {
 public:
  explicit ConnectionThreads(int max) : max_(max) {}

  void enqueue(std::function<void()> fn) override {
    auto task = std::make_shared<std::function<void()>>(std::move(fn));
    bool room = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (running_ < max_) room = true, ++running_;
    }
    if (room) {
      try {
        std::thread([this, task] {
          (*task)();
          done();
        }).detach();
        return;
      } catch (const std::system_error&) {
        done();  // no thread to be had: refuse like a full server
      }
    }
    tl_over_capacity = true;
    (*task)();
    tl_over_capacity = false;
  }

  void shutdown() override {
    std::unique_lock<std::mutex> lock(mutex_);
    idle_.wait(lock, [&] { return running_ == 0; });
  }

 private:
  void done() {
    std::lock_guard<std::mutex> lock(mutex_);
    --running_;
    idle_.notify_all();
  }

  int max_;
  int running_ = 0;
  std::mutex mutex_;
  std::condition_variable idle_;
};

// Reads and discards what the client still sends, for up to `seconds` or `max_bytes`: closing
// with unread data makes the kernel send a reset, which can destroy the answer just written
// before the client reads it.
// head_only: stop at the end of the request head (a blank line) instead.
void drain(socket_t sock, double seconds, size_t max_bytes, const std::atomic<socket_t>& listening,
           bool head_only = false) {
  char buf[16384];
  auto until = after(seconds);
  std::string tail;
  for (size_t total = 0; total < max_bytes;) {
    if (wait_for(sock, POLLIN, until, listening) != 1) return;
    ssize_t n = ::recv(sock, buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0) return;
    total += size_t(n);
    if (head_only && ((tail = tail.substr(tail.size() < 3 ? 0 : tail.size() - 3) + std::string(buf, size_t(n)))
                          .find("\r\n\r\n") != std::string::npos)) return;
  }
}

std::string printable(const std::string& s, size_t max_len = 200) {
  std::string out;
  for (char c : s.substr(0, max_len)) out += (c >= 0x20 && c < 0x7f && c != '"') ? c : '?';
  if (s.size() > max_len) out += "...";
  return out.empty() ? "-" : out;
}

}  // namespace

GuardedServer::GuardedServer(const Limits& limits) : limits_(limits) {
  const int max = limits.max_connections;
  new_task_queue = [max] { return new ConnectionThreads(max); };
  // Used by httplib only for the Keep-Alive header it writes and the accepted socket's
  // SO_RCVTIMEO/SO_SNDTIMEO; the reads and writes themselves are GuardedStream's.
  auto whole = [](double s) { return time_t(std::max(1.0, s + 0.999)); };
  set_read_timeout(whole(limits.read_timeout_s));
  set_write_timeout(whole(limits.write_timeout_s));
  set_keep_alive_timeout(whole(limits.read_timeout_s));
  set_keep_alive_max_count(size_t(std::max(1, limits.max_requests_per_connection)));
  set_payload_max_length(limits.max_body_bytes);
  set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    log_line(client_address(), req.method, req.path, res.status, res.body.size(), request_ms());
  });
}

GuardedServer::~GuardedServer() = default;

void GuardedServer::close_after_response(httplib::Response& res) {
  if (tl_conn) tl_conn->close = true;
  res.set_header("Connection", "close");
}

LimitHit GuardedServer::limit_hit() { return tl_conn ? tl_conn->hit : LimitHit::none; }

std::string GuardedServer::client_address() { return tl_conn ? tl_conn->client : ""; }

double GuardedServer::request_ms() {
  if (!tl_conn || tl_conn->started == Clock::time_point{}) return 0;
  return std::chrono::duration<double, std::milli>(Clock::now() - tl_conn->started).count();
}

void GuardedServer::log_line(const std::string& client, const std::string& method, const std::string& path,
                             int status, size_t bytes, double ms) const {
  if (!limits_.log_requests) return;
  char line[600];
  std::snprintf(line, sizeof line, "murmur: %s \"%s %s\" %d %zu B %.1f ms\n", printable(client, 64).c_str(),
                printable(method, 16).c_str(), printable(path).c_str(), status, bytes, ms);
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  std::fputs(line, stderr);
}

void GuardedServer::reject(socket_t sock, const std::string& client, const std::string& why,
                           bool on_accept_thread) {
  auto t0 = Clock::now();
  std::string body = "{\"error\": \"" + why + "\", \"status\": 503}";
  std::string msg = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\nConnection: close\r\nRetry-After: 1\r\n\r\n" + body;
  // On the accept thread nothing may block: answer and close (the client may see a reset).
  // On a connection thread, let the request arrive first, and linger after the answer.
  if (!on_accept_thread) drain(sock, 0.5, limits_.max_header_bytes, svr_sock_, /*head_only=*/true);
  (void)!::send(sock, msg.data(), msg.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::shutdown(sock, SHUT_WR);
  if (!on_accept_thread) drain(sock, 1.0, 1u << 20, svr_sock_);
  ::close(sock);
  log_line(client, "-", "-", 503, body.size(), std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
}

bool GuardedServer::process_and_close_socket(socket_t sock) {
  const std::string client = address_of(sock, true);
  if (tl_over_capacity) {
    reject(sock, client, "busy: " + std::to_string(limits_.max_connections) + " open connections, the server's limit",
           true);
    return false;
  }
  bool room;
  {
    std::lock_guard<std::mutex> lock(clients_mutex_);
    int& n = clients_[client];
    room = n < limits_.max_connections_per_client;
    if (room) ++n;
  }
  if (!room) {
    reject(sock, client, "busy: " + std::to_string(limits_.max_connections_per_client) +
                             " open connections from " + client + ", the server's limit per client", false);
    return false;
  }
  ++open_;
  Connection conn;
  conn.client = client;
  tl_conn = &conn;
  bool ret = false;
  try {
    GuardedStream strm(sock, limits_, svr_sock_, conn);
    const int max_requests = std::max(1, limits_.max_requests_per_connection);
    for (int i = 0; i < max_requests && svr_sock_ != INVALID_SOCKET; ++i) {
      if (!strm.next_request()) break;
      conn.hit = LimitHit::none;
      bool closed = false;
      ret = process_request(strm, i + 1 == max_requests, closed, nullptr);
      if (!ret || closed || conn.close || conn.hit != LimitHit::none) break;
    }
  } catch (...) {
    ret = false;  // nothing escapes a connection thread
  }
  tl_conn = nullptr;
  if (conn.close || conn.hit == LimitHit::headers || conn.hit == LimitHit::body) {
    ::shutdown(sock, SHUT_WR);
    drain(sock, 2.0, 64u << 20, svr_sock_);
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  --open_;
  {
    std::lock_guard<std::mutex> lock(clients_mutex_);
    if (--clients_[client] <= 0) clients_.erase(client);
  }
  return ret;
}

}  // namespace murmur::serve
