#include "serve/server.h"

#include <httplib.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "pipeline/answer.h"
#include "serve/guard.h"
#include "serve/serve_model.h"
#include "serve/stream.h"
#include "serve/upload.h"
#include "util/check.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/semaphore.h"
#include "util/json.h"

namespace murmur::serve {

namespace {

namespace fs = std::filesystem;

void send_json(httplib::Response& res, int status, const nlohmann::json& j) {
  res.status = status;
  res.set_content(util::json_text(j), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, status, {{"error", message}, {"status", status}});
}

nlohmann::json build_model_info(const std::string& path, const ServeModel& model) {
  nlohmann::json info = model.info();
  // Paths inside the model folder are reported relative to it: the server's own layout is none
  // of a client's business.
  for (auto& m : info["models"]) {
    fs::path file = m.value("path", "");
    std::error_code ec;
    auto rel = fs::is_directory(path) ? fs::relative(file, path, ec) : file.filename();
    m["path"] = ec ? file.filename().string() : rel.string();
  }
  info["model"] = basename_of(path);
  fs::path report = fs::path(path) / "report.json";
  if (fs::is_directory(path) && fs::exists(report)) {
    try {
      auto r = nlohmann::json::parse(util::read_file(report.string()));
      nlohmann::json headline;
      for (const char* level : {"recording", "patient"})
        for (const char* key : {"accuracy", "balanced_accuracy", "macro_f1", "macro_auroc"})
          if (r["metrics"].contains(level) && r["metrics"][level].contains(key))
            headline[level][key] = r["metrics"][level][key];
      info["cv"] = {{"title", r.value("title", "")}, {"created_utc", r["run"].value("created_utc", "")},
                    {"headline", headline}};
    } catch (const std::exception& e) {
      info["cv"] = {{"error", std::string("report.json: ") + e.what()}};
    }
  }
  return info;
}

Limits limits_of(const ServerConfig& c) {
  Limits l;
  l.max_connections = c.max_connections;
  l.max_connections_per_client = c.max_connections_per_client;
  l.read_timeout_s = c.read_timeout_s;
  l.write_timeout_s = c.write_timeout_s;
  l.request_timeout_s = c.request_timeout_s;
  l.max_header_bytes = size_t(c.max_header_kb * 1024);
  l.max_headers = c.max_headers;
  // Raw body bytes, chunk and multipart framing included: a backstop behind the handlers' exact
  // count of the upload, and the bound for bodies sent where no handler reads them.
  l.max_body_bytes = 2 * size_t(c.max_upload_mb * 1024 * 1024) + (1u << 20);
  l.log_requests = c.log_requests;
  return l;
}

}  // namespace

void ServerConfig::validate() const {
  util::check_setting(!host.empty(), "--host", "must name an interface (127.0.0.1 for loopback only)", host);
  util::check_setting(port >= 0 && port <= 65535, "--port", "must be in [0, 65535]", port);
  util::check_setting(workers >= 1 && workers <= 256, "--workers", "must be in [1, 256]", workers);
  util::check_setting(model_copies >= 1 && model_copies <= 64, "--model-copies", "must be in [1, 64]", model_copies);
  util::check_setting(batch_window_ms >= 0 && batch_window_ms <= 1000, "--batch-window-ms", "must be in [0, 1000]",
                      batch_window_ms);
  util::check_setting(max_batch >= 1 && max_batch <= 256, "--max-batch", "must be in [1, 256]", max_batch);
  util::check_setting(max_upload_mb > 0 && max_upload_mb <= 4096, "--max-upload-mb", "must be in (0, 4096]",
                      max_upload_mb);
  util::check_setting(max_duration_s >= 0, "--max-duration-s", "must be >= 0 (0 = no limit)", max_duration_s);
  util::check_setting(max_buffered_mb >= max_upload_mb && max_buffered_mb <= 65536, "--max-buffered-mb",
                      "must be in [--max-upload-mb, 65536]", max_buffered_mb);
  util::check_setting(max_connections >= 1 && max_connections <= 10000, "--max-connections", "must be in [1, 10000]",
                      max_connections);
  util::check_setting(max_connections_per_client >= 1 && max_connections_per_client <= max_connections,
                      "--max-connections-per-client", "must be in [1, --max-connections]", max_connections_per_client);
  for (auto [flag, v] : {std::pair{"--read-timeout-s", read_timeout_s}, std::pair{"--write-timeout-s", write_timeout_s},
                         std::pair{"--request-timeout-s", request_timeout_s}})
    util::check_setting(v >= 0.1 && v <= 3600, flag, "must be in [0.1, 3600] seconds", v);
  util::check_setting(max_header_kb >= 1 && max_header_kb <= 1024, "--max-header-kb", "must be in [1, 1024]",
                      max_header_kb);
  util::check_setting(max_headers >= 1 && max_headers <= 10000, "--max-headers", "must be in [1, 10000]", max_headers);
}

void to_json(nlohmann::json& j, const ServerConfig& c) {
  j = {{"host", c.host}, {"port", c.port}, {"workers", c.workers}, {"model_copies", c.model_copies},
       {"batch_window_ms", c.batch_window_ms}, {"max_batch", c.max_batch},
       {"max_upload_mb", c.max_upload_mb}, {"max_duration_s", c.max_duration_s},
       {"max_buffered_mb", c.max_buffered_mb}, {"max_connections", c.max_connections}, {"max_connections_per_client", c.max_connections_per_client},
       {"read_timeout_s", c.read_timeout_s}, {"write_timeout_s", c.write_timeout_s},
       {"request_timeout_s", c.request_timeout_s}, {"max_header_kb", c.max_header_kb},
       {"max_headers", c.max_headers}};
}

struct Server::Impl {
  ServerConfig cfg;
  std::unique_ptr<ServeModel> model;
  util::Semaphore inference;  // requests decoded and classified at once (ServerConfig::workers)
  UploadBudget buffered;
  nlohmann::json info;
  GuardedServer http;
  std::thread thread;
  int port = -1;
  socket_t listen_fd = -1;
  const size_t max_bytes;

  Impl(const std::string& path, std::unique_ptr<ServeModel> m, const ServerConfig& c)
      : cfg(c), model(std::move(m)), inference(c.workers),
        buffered(size_t(c.max_buffered_mb * 1024 * 1024)), info(build_model_info(path, *model)),
        http(limits_of(c)), max_bytes(size_t(c.max_upload_mb * 1024 * 1024)) {
    info["server"] = cfg;
    http.set_tcp_nodelay(true);  // else keep-alive clients wait ~40 ms per answer (Nagle, delayed ACK)
    // httplib's default also sets SO_REUSEPORT, which lets a second server share a busy port
    // and silently split its traffic; SO_REUSEADDR alone still allows quick restarts.
    http.set_socket_options([this](socket_t sock) {
      int yes = 1;
      setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
      listen_fd = sock;
    });
    http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      return before_body(req, res);
    });
    // `Expect: 100-continue`: refuse a body over the limit before the client sends it.
    http.set_expect_100_continue_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (!req.has_header("Content-Length") || content_length(req) <= max_bytes) return 100;
      GuardedServer::close_after_response(res);
      res.status = 413;
      return 413;
    });
    // Fills in a JSON body for the errors httplib answers itself (400, 404, 413, 414), and names
    // the limit a failed read ran into (431 headers, 408 timeout, 413 body).
    http.set_error_handler(httplib::Server::HandlerWithResponse([this](const httplib::Request& req,
                                                                       httplib::Response& res) {
      if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
      GuardedServer::close_after_response(res);  // what is left of the request is not read
      const Limits& lim = http.limits();
      std::string m = "bad request";
      switch (GuardedServer::limit_hit()) {
        case LimitHit::headers:
          res.status = 431;
          m = "request headers: over the server's limit of " + std::to_string(lim.max_header_bytes) + " bytes or " +
              std::to_string(lim.max_headers) + " lines";
          break;
        case LimitHit::timeout:
          res.status = 408;
          m = "request did not arrive in time (silent for " + std::to_string(lim.read_timeout_s) + " s, or not " +
              "complete within " + std::to_string(lim.request_timeout_s) + " s)";
          break;
        case LimitHit::body: res.status = 413; break;
        case LimitHit::none: break;
      }
      if (res.status == 404) m = req.path + ": no such endpoint (see GET /v1/model, POST /v1/predict)";
      if (res.status == 413) m = too_big();
      if (res.status == 414) m = "request line: longer than 8192 bytes";
      send_error(res, res.status, m);
      return httplib::Server::HandlerResponse::Handled;
    }));
    http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
      std::string m = "internal error";
      try {
        if (ep) std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        m += std::string(": ") + e.what();
      } catch (...) {
      }
      send_error(res, 500, m);
    });
    routes();
  }

  std::string too_big() const {
    return "request body is larger than the server's upload limit of " + std::to_string(max_bytes) + " bytes";
  }

  static uint64_t content_length(const httplib::Request& req) {
    const std::string v = req.get_header_value("Content-Length");
    if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || v.size() > 18) return UINT64_MAX;
    return std::strtoull(v.c_str(), nullptr, 10);
  }

  // Runs once the headers are read, before any of the body: a body the server would not use is
  // refused unread (and the connection closed after the answer).
  httplib::Server::HandlerResponse before_body(const httplib::Request& req, httplib::Response& res) {
    using R = httplib::Server::HandlerResponse;
    const bool has_length = req.has_header("Content-Length"), encoded = req.has_header("Transfer-Encoding");
    const bool reads_body = req.method == "POST" || req.method == "PUT" || req.method == "PATCH" ||
                            req.method == "DELETE" || req.method == "PRI";
    auto refuse = [&](int status, const std::string& m) {
      GuardedServer::close_after_response(res);
      send_error(res, status, m);
      return R::Handled;
    };
    if (!has_length && !encoded) {
      // httplib would read such a body until the client closes the connection.
      if (reads_body && req.method != "DELETE")
        return refuse(411, "request: " + req.method + " needs a Content-Length header or a chunked body");
      return R::Unhandled;
    }
    if (!encoded && content_length(req) == 0) return R::Unhandled;
    if (!reads_body) {  // a GET with a body: answered, then closed (the body is never read)
      GuardedServer::close_after_response(res);
      return R::Unhandled;
    }
    if (req.method != "POST" || (req.path != "/v1/predict" && req.path != "/v1/spectrogram"))
      return refuse(404, req.path + ": no such endpoint for " + req.method + " (see GET /v1/model, POST /v1/predict)");
    if (has_length && content_length(req) > max_bytes) return refuse(413, too_big());
    return R::Unhandled;
  }

  // Runs a handler, mapping what it throws to a JSON error: nothing escapes to httplib.
  template <class F>
  static void guarded(httplib::Response& res, F&& f) {
    try {
      f();
    } catch (const RequestError& e) {
      if (e.close) GuardedServer::close_after_response(res);
      send_error(res, e.status, e.message);
    } catch (const Error& e) {
      send_error(res, 422, e.what());
    } catch (const std::exception& e) {
      send_error(res, 500, std::string("internal error: ") + e.what());
    } catch (...) {
      send_error(res, 500, "internal error");
    }
  }

  void routes() {
    using httplib::ContentReader, httplib::Request, httplib::Response;
    http.Get("/", [](const Request&, Response& res) { res.set_content(index_html(), "text/html; charset=utf-8"); });
    http.Get("/healthz", [this](const Request&, Response& res) {
      const auto b = model->batch_stats();
      send_json(res, 200, {{"status", "ok"}, {"model", info["model"]},
                           {"batches", {{"count", b.batches}, {"recordings", b.recordings}, {"largest", b.largest}}}});
    });
    http.Get("/v1/model", [this](const Request&, Response& res) { send_json(res, 200, info); });
    http.Post("/v1/predict", [this](const Request& req, Response& res, const ContentReader& reader) {
      guarded(res, [&] {
        auto t0 = std::chrono::steady_clock::now();
        Upload up = read_upload(req, reader, max_bytes, buffered);
        nlohmann::json out = inference.with([&] {
          // ?explain=1: why, by occlusion over the cardiac cycle and bands (pipeline/explanation.h).
          const bool explain = req.get_param_value("explain") == "1";
          double duration_s = 0;
          int rate_hz = 0, channels = 0;
          Quality q;
          ServeModel::Answer got = model->classify(
              [&] {
                audio::Audio a = decode_upload(up, cfg.max_duration_s, model->min_duration_s());
                up = Upload{{}, up.name, nullptr};  // the decoded samples replace the file's bytes
                q = assess_quality(a.samples, a.sample_rate_hz, StreamConfig{});
                duration_s = a.duration_s(), rate_hz = a.sample_rate_hz, channels = a.source_channels;
                return a;
              },
              explain, up.name);
          nlohmann::json o = pipeline::answer_json(model->class_names(), got.probs, model->thresholds());
          o.update({{"duration_s", duration_s}, {"sample_rate_hz", rate_hz}, {"channels", channels},
                    {"quality", nlohmann::json(q)}});
          if (explain) o["explanation"] = got.explanation;
          return o;
        });
        double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        out.update({{"file", up.name}, {"model", info["model"]}, {"preset", model->preset_name()}, {"elapsed_ms", ms}});
        send_json(res, 200, out);
      });
    });
    http.Post("/v1/spectrogram", [this](const Request& req, Response& res, const ContentReader& reader) {
      guarded(res, [&] {
        Upload up = read_upload(req, reader, max_bytes, buffered);
        std::string png = inference.with([&] {
          audio::Audio a = decode_upload(up, cfg.max_duration_s, model->min_duration_s());
          return features::encode_png(model->feature_picture(a), /*compression_level=*/3);
        });
        res.status = 200;
        res.set_content(png, "image/png");
      });
    });
  }

  int bind() {
    port = cfg.port == 0 ? http.bind_to_any_port(cfg.host) : (http.bind_to_port(cfg.host, cfg.port) ? cfg.port : -1);
    if (port < 0)
      throw Error("serve: cannot listen on " + cfg.host + ":" + std::to_string(cfg.port) +
                  " (in use, or not an address of this machine)");
    // Debian's libcpp-httplib 0.11 listens with a backlog of 5 (CPPHTTPLIB_LISTEN_BACKLOG is
    // compiled into the shared library): a burst of 16 connects overflows it and the kernel
    // drops SYNs, which clients retry after 1 s. Linux lets listen() be called again to widen it.
    if (listen_fd >= 0) ::listen(listen_fd, SOMAXCONN);
    return port;
  }
};

Server::Server(const std::string& model_path, std::unique_ptr<ServeModel> model, const ServerConfig& cfg) {
  cfg.validate();
  if (!model) throw Error("serve: " + model_path + ": no model");
  impl_ = std::make_unique<Impl>(model_path, std::move(model), cfg);
}

Server::~Server() { stop(); }

void Server::start() {
  impl_->bind();
  impl_->thread = std::thread([this] { impl_->http.listen_after_bind(); });
  // listen_after_bind sets is_running as it enters its accept loop; the socket already accepts
  // (connections queue in the backlog), so this wait only makes stop() safe straight away.
  for (int i = 0; i < 2000 && !impl_->http.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void Server::stop() {
  if (!impl_) return;
  impl_->http.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

int Server::port() const { return impl_->port; }

std::string Server::url() const { return "http://" + impl_->cfg.host + ":" + std::to_string(impl_->port); }

const nlohmann::json& Server::model_info() const { return impl_->info; }

}  // namespace murmur::serve
