// An upload to POST /v1/predict or /v1/spectrogram: read as it streams (raw body or multipart
// field "file"), counted against the upload limit so that nothing past it is kept, then decoded
// in memory. Internal to the server (src/serve/server.cpp).
//
//   UploadBudget budget(256 << 20);                                  // all uploads held at once
//   Upload up = read_upload(req, content_reader, max_bytes, budget); // throws RequestError
//   audio::Audio a = decode_upload(up, max_duration_s, min_duration_s);  // throws RequestError
#pragma once

#include <httplib.h>

#include <atomic>
#include <memory>
#include <string>

#include "audio/audio.h"

namespace murmur::serve {

// An error a request caused: its HTTP status and a message naming the upload and the problem.
// close: the body was not (fully) read, so the connection must close after the answer.
struct RequestError {
  int status;
  std::string message;
  bool close = false;
};

// The bytes of all uploads held in memory at once, across requests (ServerConfig::max_buffered_mb).
class UploadBudget {
 public:
  explicit UploadBudget(size_t max_bytes) : max_(max_bytes) {}
  bool take(size_t n);  // false, and nothing taken, if n more would pass the limit
  void give(size_t n) { used_ -= n; }
  size_t max() const { return max_; }

 private:
  std::atomic<size_t> used_{0};
  size_t max_;
};

struct Upload {
  struct Held {  // the upload's share of the budget, given back with the bytes
    UploadBudget* budget;
    size_t n = 0;
    ~Held() { budget->give(n); }
  };
  std::string bytes;
  std::string name = "upload";  // the multipart file name, else "upload"
  std::unique_ptr<Held> held;
};

// 413 past max_bytes (counted as the body streams, chunked or not), 503 past the budget, 415 for
// a form-urlencoded body, 400 for multipart without "file" or broken framing, 408 if it stalled.
Upload read_upload(const httplib::Request& req, const httplib::ContentReader& reader, size_t max_bytes,
                   UploadBudget& budget);

// 415 not audio / undecodable; 422 decodable but unusable (too short, too long, silent, NaN).
audio::Audio decode_upload(const Upload& up, double max_duration_s, double min_duration_s);

// "a/b/c.wav" -> "c.wav"; "run/" -> "run".
std::string basename_of(const std::string& path);

}  // namespace murmur::serve
