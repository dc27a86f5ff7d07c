// The murmur web service: a model behind a small HTTP API (cpp-httplib) and a static web page.
// Requests are decoded from memory only: nothing a client sends touches the file system.
//
//   murmur::serve::ServerConfig cfg;               // 127.0.0.1:8080, 4 workers, 20 MB uploads
//   cfg.port = 0;                                  // any free port
//   murmur::serve::Server server("model.pth", cfg);   // a model.pth or a cv run folder
//   server.start();                                // background thread; returns once listening
//   std::cout << server.url();                     // http://127.0.0.1:41234
//   server.stop();
//
// API (every error is JSON {"error": "<file or field>: <problem>", "status": <code>}):
//   GET  /                 the web page (drop/choose/record a recording; waveform, spectrogram, bars)
//   GET  /healthz          {"status": "ok", "model": ...}
//   GET  /v1/model         classes, preset config, models' provenance, and the cv report's
//                          headline metrics when the model is a cv run folder with report.json
//   POST /v1/predict       body: a WAV/FLAC/OGG file, raw or multipart (field "file") ->
//                          {class, probabilities, duration_s, sample_rate_hz, model, preset,
//                           quality, elapsed_ms}
//   POST /v1/spectrogram   same body -> image/png: the model's input features (native: the
//                          standardised log-mel, low bands at the bottom, viridis; seed: its picture)
// Status codes: 413 body over max_upload_mb; 415 not audio / undecodable / sent as a
// form-urlencoded body; 422 decodable but unusable (too short, too long, silent, NaN); 400
// multipart without "file"; 404 unknown path; 500 never expected.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>


namespace murmur::serve {

struct ServerConfig {
  std::string host = "127.0.0.1";  // loopback only unless asked: there is no authentication
  int port = 8080;                 // 0 = any free port (see Server::port)
  int workers = 4;                 // HTTP worker threads (one per open connection)
  int model_copies = 1;            // model instances; a request takes a free one (see docs/serve.md)
  double max_upload_mb = 20;       // larger bodies get 413 before they are read
  double max_duration_s = 600;     // longer recordings get 422: bounds decoded memory
  void validate() const;           // murmur::Error "--flag: rule (got value)" (the CLI flag)
};

void to_json(nlohmann::json& j, const ServerConfig& c);

class Server {
 public:
  // Loads the model (model_copies times); throws murmur::Error if it cannot.
  Server(const std::string& model_path, const ServerConfig& cfg = {});
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
