// Raw-socket HTTP for the serve tests that must send what no well-behaved client sends: slow
// bytes, floods of headers, chunked bodies without end. Blocking sockets with timeouts.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>

namespace murmur::test {

class RawConn {
 public:
  explicit RawConn(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~RawConn() { close(); }
  RawConn(const RawConn&) = delete;
  RawConn& operator=(const RawConn&) = delete;

  bool ok() const { return ok_; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  // Sends all of s unless the peer closed or timeout_ms passed; false then.
  bool send(const std::string& s, int timeout_ms = 2000) {
    size_t off = 0;
    while (off < s.size()) {
      pollfd p{fd_, POLLOUT, 0};
      if (::poll(&p, 1, timeout_ms) != 1) return false;
      ssize_t n = ::send(fd_, s.data() + off, s.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
      if (n <= 0) return false;
      off += size_t(n);
    }
    return true;
  }
  // True if a response byte (or EOF) can be read now or within timeout_ms.
  bool readable(int timeout_ms = 0) {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, timeout_ms) == 1;
  }
  // Reads until EOF, timeout_ms of silence, or a complete response (headers + Content-Length).
  std::string response(int timeout_ms = 5000) {
    std::string r;
    char buf[4096];
    for (;;) {
      auto end = r.find("\r\n\r\n");
      if (end != std::string::npos) {
        auto cl = r.find("Content-Length: ");
        if (cl != std::string::npos && cl < end && r.size() >= end + 4 + std::stoul(r.substr(cl + 16))) break;
      }
      if (!readable(timeout_ms)) break;
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      r.append(buf, size_t(n));
    }
    return r;
  }

 private:
  int fd_ = -1;
  bool ok_ = false;
};

// The status code of a raw response ("HTTP/1.1 413 ..."), or 0.
inline int status_of(const std::string& response) {
  return response.rfind("HTTP/1.", 0) == 0 && response.size() > 12 ? std::atoi(response.c_str() + 9) : 0;
}

// This process's resident memory (VmRSS), in MB.
inline double rss_mb() {
  std::ifstream f("/proc/self/status");
  std::string key;
  while (f >> key) {
    if (key == "VmRSS:") {
      double kb = 0;
      f >> kb;
      return kb / 1024;
    }
    f.ignore(1 << 12, '\n');
  }
  return 0;
}

inline double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace murmur::test
