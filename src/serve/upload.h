// An upload to POST /v1/predict or /v1/spectrogram: read as it streams (raw body or multipart
// field "file"), counted against the upload limit so that nothing past it is kept, then decoded
// in memory. Internal to the server (src/serve/server.cpp).
//
//   Upload up = read_upload(req, content_reader, max_bytes);        // throws RequestError
//   audio::Audio a = decode_upload(up, max_duration_s, min_duration_s);  // throws RequestError
#pragma once

#include <httplib.h>

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

struct Upload {
  std::string bytes;
  std::string name = "upload";  // the multipart file name, else "upload"
};

// 413 past max_bytes (counted as the body streams, chunked or not), 415 for a form-urlencoded
// body, 400 for multipart without "file" or broken framing, 408 if it stopped arriving.
Upload read_upload(const httplib::Request& req, const httplib::ContentReader& reader, size_t max_bytes);

// 415 not audio / undecodable; 422 decodable but unusable (too short, too long, silent, NaN).
audio::Audio decode_upload(const Upload& up, double max_duration_s, double min_duration_s);

// "a/b/c.wav" -> "c.wav"; "run/" -> "run".
std::string basename_of(const std::string& path);

}  // namespace murmur::serve
