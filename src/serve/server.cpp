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

#include "pipeline/predictor.h"
#include "serve/stream.h"
#include "util/check.h"
#include "util/error.h"
#include "util/fs.h"

namespace murmur::serve {

namespace {

namespace fs = std::filesystem;

// An error a request caused: its HTTP status and a message naming the upload and the problem.
struct RequestError {
  int status;
  std::string message;
};

void send_json(httplib::Response& res, int status, const nlohmann::json& j) {
  res.status = status;
  res.set_content(j.dump(), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, status, {{"error", message}, {"status", status}});
}

// A request takes one model instance and gives it back, so each instance is used by one thread
// at a time (Preset::recording_probs flips the module to eval mode: not safe to share).
class ModelPool {
 public:
  ModelPool(const std::string& path, int copies) {
    for (int i = 0; i < copies; ++i) models_.push_back(std::make_unique<pipeline::Predictor>(pipeline::Predictor::open(path)));
    for (auto& m : models_) free_.push_back(m.get());
  }
  const pipeline::Predictor& any() const { return *models_.front(); }

  template <class F>
  auto with(F&& f) {
    pipeline::Predictor* p;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [&] { return !free_.empty(); });
      p = free_.back();
      free_.pop_back();
    }
    struct Return {
      ModelPool& pool;
      pipeline::Predictor* p;
      ~Return() {
        { std::lock_guard<std::mutex> lock(pool.mutex_); pool.free_.push_back(p); }
        pool.cv_.notify_one();
      }
    } give_back{*this, p};
    return f(*p);
  }

 private:
  std::vector<std::unique_ptr<pipeline::Predictor>> models_;
  std::vector<pipeline::Predictor*> free_;
  std::mutex mutex_;
  std::condition_variable cv_;
};

std::string basename_of(const std::string& path) {
  fs::path p(path);
  if (!p.has_filename()) p = p.parent_path();
  return p.filename().string();
}

nlohmann::json build_model_info(const std::string& path, const pipeline::Predictor& predictor) {
  nlohmann::json info = predictor.info();
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

// Decodes an uploaded body (raw or multipart field "file") in memory, or throws RequestError.
audio::Audio decode_upload(const httplib::Request& req, const ServerConfig& cfg, double min_duration_s,
                           std::string* name_out) {
  const std::string* bytes = &req.body;
  std::string name = "upload";
  httplib::MultipartFormData part;  // get_file_value returns a copy: keep it alive here
  if (req.is_multipart_form_data()) {
    if (!req.has_file("file"))
      throw RequestError{400, "multipart upload: no field named \"file\" (send the recording as file=@x.wav)"};
    part = req.get_file_value("file");
    bytes = &part.content;
    if (!part.filename.empty()) name = basename_of(part.filename);
  }
  if (bytes->empty())
    throw RequestError{415, name + ": empty body (send a WAV, FLAC or OGG file)"};
  audio::LoadConfig load;
  load.min_duration_s = 0;           // checked below, to answer 422 rather than 415
  load.max_duration_s = cfg.max_duration_s;
  audio::Audio a;
  try {
    a = audio::decode(*bytes, name, load);
  } catch (const Error& e) {
    std::string m = e.what();
    // libsndfile opened it, but the samples are unusable: a decodable file with a problem.
    bool unusable = m.find("silent") != std::string::npos || m.find("NaN") != std::string::npos ||
                    m.find("infinite") != std::string::npos || m.find("longer") != std::string::npos;
    throw RequestError{unusable ? 422 : 415, m};
  }
  if (a.duration_s() < min_duration_s)
    throw RequestError{422, name + ": " + std::to_string(a.duration_s()) + " s is shorter than the model's minimum of " +
                                std::to_string(min_duration_s) + " s"};
  if (cfg.max_duration_s > 0 && a.duration_s() > cfg.max_duration_s)
    throw RequestError{422, name + ": " + std::to_string(a.duration_s()) + " s is longer than the server's maximum of " +
                                std::to_string(cfg.max_duration_s) + " s"};
  *name_out = name;
  return a;
}

}  // namespace

void ServerConfig::validate() const {
  util::check_setting(!host.empty(), "--host", "must name an interface (127.0.0.1 for loopback only)", host);
  util::check_setting(port >= 0 && port <= 65535, "--port", "must be in [0, 65535]", port);
  util::check_setting(workers >= 1 && workers <= 256, "--workers", "must be in [1, 256]", workers);
  util::check_setting(model_copies >= 1 && model_copies <= 64, "--model-copies", "must be in [1, 64]", model_copies);
  util::check_setting(max_upload_mb > 0 && max_upload_mb <= 4096, "--max-upload-mb", "must be in (0, 4096]",
                      max_upload_mb);
  util::check_setting(max_duration_s >= 0, "--max-duration-s", "must be >= 0 (0 = no limit)", max_duration_s);
}

void to_json(nlohmann::json& j, const ServerConfig& c) {
  j = {{"host", c.host}, {"port", c.port}, {"workers", c.workers}, {"model_copies", c.model_copies},
       {"max_upload_mb", c.max_upload_mb}, {"max_duration_s", c.max_duration_s}};
}

struct Server::Impl {
  ServerConfig cfg;
  ModelPool pool;
  nlohmann::json info;
  httplib::Server http;
  std::thread thread;
  int port = -1;
  socket_t listen_fd = -1;

  Impl(const std::string& path, const ServerConfig& c)
      : cfg(c), pool(path, c.model_copies), info(build_model_info(path, pool.any())) {
    info["server"] = cfg;
    const int workers = cfg.workers;
    http.new_task_queue = [workers] { return new httplib::ThreadPool(size_t(workers)); };
    const size_t max_bytes = size_t(cfg.max_upload_mb * 1024 * 1024);
    http.set_payload_max_length(max_bytes);
    // httplib's default also sets SO_REUSEPORT, which lets a second server share a busy port
    // and silently split its traffic; SO_REUSEADDR alone still allows quick restarts.
    http.set_socket_options([this](socket_t sock) {
      int yes = 1;
      setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
      listen_fd = sock;
    });
    http.set_read_timeout(10);
    http.set_write_timeout(10);
    // Fills in a JSON body for the errors httplib answers itself (413, 404, 400 bad request).
    http.set_error_handler(httplib::Server::HandlerWithResponse([max_bytes](const httplib::Request& req,
                                                                            httplib::Response& res) {
      if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
      std::string m = res.status == 404 ? req.path + ": no such endpoint (see GET /v1/model, POST /v1/predict)"
                                        : "bad request";
      if (res.status == 413) {
        m = "request body is larger than the server's upload limit of " + std::to_string(max_bytes) + " bytes";
        // httplib parses form-urlencoded bodies as text and caps them at 8 KB: what `curl
        // --data-binary @x.wav` sends without a Content-Type. Name the real problem.
        if (req.get_header_value("Content-Type").rfind("application/x-www-form-urlencoded", 0) == 0 &&
            std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10) <= max_bytes) {
          res.status = 415;
          m = "upload: sent as application/x-www-form-urlencoded; send the recording with Content-Type "
              "audio/wav (or audio/flac, audio/ogg, application/octet-stream) or as multipart field \"file\"";
        }
      }
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

  // Runs a handler, mapping what it throws to a JSON error: nothing escapes to httplib.
  template <class F>
  static void guarded(httplib::Response& res, F&& f) {
    try {
      f();
    } catch (const RequestError& e) {
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
    http.Get("/", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(index_html(), "text/html; charset=utf-8");
    });
    http.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
      send_json(res, 200, {{"status", "ok"}, {"model", info["model"]}});
    });
    http.Get("/v1/model", [this](const httplib::Request&, httplib::Response& res) { send_json(res, 200, info); });
    http.Post("/v1/predict", [this](const httplib::Request& req, httplib::Response& res) {
      guarded(res, [&] {
        auto t0 = std::chrono::steady_clock::now();
        const auto& any = pool.any();
        std::string name;
        audio::Audio a = decode_upload(req, cfg, any.preset().audio.min_duration_s, &name);
        const double duration_s = a.duration_s();
        const int rate_hz = a.sample_rate_hz, channels = a.source_channels;
        Quality q = assess_quality(a.samples, a.sample_rate_hz, StreamConfig{});
        // Features outside the pool (thread-safe, so workers overlap); only the network waits
        // for a model instance.
        torch::Tensor stored = any.features_of(a);
        torch::Tensor probs = pool.with([&](const pipeline::Predictor& p) { return p.predict_stored(stored); });
        double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        nlohmann::json out = pipeline::answer_json(any.class_names(), probs);
        out.update({{"file", name}, {"duration_s", duration_s}, {"sample_rate_hz", rate_hz}, {"channels", channels},
                    {"model", info["model"]}, {"preset", any.preset().name()},
                    {"quality", {{"status", q.status}, {"rms", q.rms}, {"clipped_fraction", q.clipped_fraction},
                                 {"high_band_fraction", q.high_band_fraction}}},
                    {"elapsed_ms", ms}});
        send_json(res, 200, out);
      });
    });
    http.Post("/v1/spectrogram", [this](const httplib::Request& req, httplib::Response& res) {
      guarded(res, [&] {
        const auto& any = pool.any();
        std::string name;
        audio::Audio a = decode_upload(req, cfg, any.preset().audio.min_duration_s, &name);
        features::Image picture = any.preset().feature_picture(any.features_of(a));
        res.status = 200;
        res.set_content(features::encode_png(picture, /*compression_level=*/3), "image/png");
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

Server::Server(const std::string& model_path, const ServerConfig& cfg) {
  cfg.validate();
  impl_ = std::make_unique<Impl>(model_path, cfg);
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
