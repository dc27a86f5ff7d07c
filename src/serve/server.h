// The murmur web service: a model behind a small HTTP API (cpp-httplib) and a static web page.
// Requests are decoded from memory only: nothing a client sends touches the file system.
//
//   murmur::serve::ServerConfig cfg;               // 127.0.0.1:8080, 4 workers, 20 MB uploads
//   cfg.port = 0;                                  // any free port
//   murmur::serve::Server server("model.pth", cfg);   // a model.pth or a cv run folder, on LibTorch
//   murmur::serve::Server lean("model.pth", native_serve_model("model.pth", 1), cfg);  // or any ServeModel
//   server.start();                                // background thread; returns once listening
//   std::cout << server.url();                     // http://127.0.0.1:41234
//   server.stop();
//
// API (every error is JSON {"error": "<file or field>: <problem>", "status": <code>}):
//   GET  /                 the web page (drop/choose/record a recording; waveform, spectrogram, bars)
//   GET  /healthz          {"status": "ok", "model": ..., "batches": {count, recordings, largest}}
//   GET  /v1/model         classes, preset config, models' provenance, and the cv report's
//                          headline metrics when the model is a cv run folder with report.json
//   POST /v1/predict       body: a WAV or FLAC file (not Ogg: docs/SECURITY.md), raw or multipart (field "file") ->
//                          {class, probabilities, duration_s, sample_rate_hz, model, preset,
//                           quality, elapsed_ms}; with max_batch > 1 concurrent requests share forward passes
//   POST /v1/spectrogram   same body -> image/png: the model's input features (native: the
//                          standardised log-mel, low bands at the bottom, viridis; seed: its picture)
// Status codes: 413 body over max_upload_mb (from Content-Length before the body is read, or as
// a chunked body streams); 415 not audio / undecodable / sent as a form-urlencoded body; 422
// decodable but unusable (too short, too long, silent, NaN); 400 multipart without "file" or
// malformed; 404 unknown path; 408 request not received in time; 411 POST without a length;
// 431 headers over the limits; 503 too many connections (overall or from one address) or
// uploads in memory over max_buffered_mb; 500
// never expected. Limits and threat model: docs/SECURITY.md.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>


namespace murmur::serve {

struct ServerConfig {
  std::string host = "127.0.0.1";  // loopback only unless asked: there is no authentication
  int port = 8080;                 // 0 = any free port (see Server::port)
  int workers = 4;                 // uploads decoded and classified at once (others wait)
  int model_copies = 1;            // model instances; a request takes a free one (see docs/serve.md)
  int max_batch = 1;               // micro-batching (batcher.h): recordings in one forward pass; 1 = off
  double batch_window_ms = 2;      // how long a batch waits for requests still decoding
  double max_upload_mb = 20;       // larger bodies get 413 (unread, or as soon as they pass it)
  double max_duration_s = 600;     // longer recordings get 422: bounds decoded memory
  double max_buffered_mb = 256;    // all uploads held in memory at once; past it 503
  int max_connections = 64;        // open connections (one thread each); more get 503
  int max_connections_per_client = 16;  // open connections from one address; more get 503
  double read_timeout_s = 5;       // longest silence within a request, and idle keep-alive
  double write_timeout_s = 5;      // longest stall while a response is written
  double request_timeout_s = 30;   // a whole request (line, headers, body) must arrive in this
  double max_header_kb = 32;       // request line + headers; more get 431
  int max_headers = 100;           // header lines; more get 431
  bool log_requests = false;       // one line per request on stderr (murmur serve: on unless --quiet)
  void validate() const;           // murmur::Error "--flag: rule (got value)" (the CLI flag)
};

void to_json(nlohmann::json& j, const ServerConfig& c);

class ServeModel;  // serve_model.h

class Server {
 public:
  // Loads the model on LibTorch (model_copies times; torch_serve_model.h); throws murmur::Error
  // if it cannot. Defined in murmur_core: the launcher, without LibTorch, uses the other.
  Server(const std::string& model_path, const ServerConfig& cfg = {});
  // Serves `model`, opened from model_path (GET /v1/model reports paths relative to it).
  Server(const std::string& model_path, std::unique_ptr<ServeModel> model, const ServerConfig& cfg = {});
  ~Server();  // stops and joins

  void start();  // binds and serves on a background thread; throws murmur::Error if bind fails
  void stop();
  int port() const;         // the bound port (after start)
  std::string url() const;  // http://host:port
  const nlohmann::json& model_info() const;  // the GET /v1/model document

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The embedded web page (src/serve/page.cpp).
const std::string& index_html();

}  // namespace murmur::serve
