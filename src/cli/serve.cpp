// murmur serve --model M --port P: the web service and page (murmur::serve::Server). In the
// launcher a native-family model is served on oneDNN without LibTorch (serve/serve_model.h);
// any other model, --max-batch > 1 or MURMUR_LIBTORCH=1 hands the arguments to murmur-torch.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

#include "cli/command.h"
#include "cli/model_commands.h"
#include "serve/serve_model.h"
#include "serve/server.h"
#ifndef MURMUR_LAUNCHER
#include "serve/torch_serve_model.h"
#endif

namespace murmur::cli {
namespace {

std::atomic<bool> g_stop{false};

void on_signal(int) { g_stop = true; }

void setup(CLI::App& app) {
  auto model = std::make_shared<std::string>();
  auto cfg = std::make_shared<serve::ServerConfig>();
  auto* cmd = app.add_subcommand("serve", model_command_about("serve"));
  cmd->add_option("-m,--model", *model, "model.pth or a cv run folder")->required();
  cmd->add_option("--host", cfg->host, "Interface to listen on (0.0.0.0 exposes it to the network: no authentication)")
      ->capture_default_str();
  cmd->add_option("-p,--port", cfg->port, "TCP port (0 = any free port)")->capture_default_str();
  cmd->add_option("--workers", cfg->workers, "Uploads decoded and classified at once (others wait their turn)")
      ->capture_default_str();
  cmd->add_option("--model-copies", cfg->model_copies, "Model instances shared by the workers (LibTorch's; a native model served without LibTorch is one, shared)")->capture_default_str();
  cmd->add_option("--max-batch", cfg->max_batch,
                  "Micro-batching: recordings of concurrent requests in one forward pass (1 = off; no faster on 2 "
                  "cores: docs/serve.md)")->capture_default_str();
  cmd->add_option("--batch-window-ms", cfg->batch_window_ms,
                  "With --max-batch > 1: how long a batch waits for requests still decoding (a lone request never "
                  "waits)")->capture_default_str();
  cmd->add_option("--max-upload-mb", cfg->max_upload_mb, "Largest accepted upload (MB); larger get 413")
      ->capture_default_str();
  cmd->add_option("--max-duration-s", cfg->max_duration_s, "Longest accepted recording (s); longer get 422")
      ->capture_default_str();
  // Limits against hostile or broken clients (docs/SECURITY.md).
  cmd->add_option("--max-buffered-mb", cfg->max_buffered_mb, "All uploads held in memory at once (MB); past it 503")
      ->capture_default_str();
  cmd->add_option("--max-connections", cfg->max_connections, "Open connections at once; more get 503")
      ->capture_default_str();
  cmd->add_option("--max-connections-per-client", cfg->max_connections_per_client,
                  "Open connections from one address; more get 503 (behind a proxy: = --max-connections)")
      ->capture_default_str();
  cmd->add_option("--read-timeout-s", cfg->read_timeout_s, "Longest silence within a request, and keep-alive idle (s)")
      ->capture_default_str();
  cmd->add_option("--write-timeout-s", cfg->write_timeout_s, "Longest stall while a response is written (s)")
      ->capture_default_str();
  cmd->add_option("--request-timeout-s", cfg->request_timeout_s,
                  "A whole request (headers and body) must arrive within this (s); else 408")
      ->capture_default_str();
  cmd->add_option("--max-header-kb", cfg->max_header_kb, "Largest request line + headers (KB); larger get 431")
      ->capture_default_str();
  cmd->add_option("--max-headers", cfg->max_headers, "Most request header lines; more get 431")->capture_default_str();
  cmd->callback([model, cfg] {
    cfg->log_requests = !global().quiet;  // one line per request on stderr unless --quiet
#ifdef MURMUR_LAUNCHER
    if (libtorch_wanted()) hand_to_model_binary("MURMUR_LIBTORCH=1");
    if (cfg->max_batch > 1) hand_to_model_binary("--max-batch runs in LibTorch");
    std::string why;
    auto native = serve::native_serve_model(*model, global().threads, &why);
    if (!native) hand_to_model_binary(why);  // LibTorch's path runs it, or says what is wrong with it
    cfg->model_copies = 1;  // the engine is shared by every worker: copies would only cost memory
    serve::Server server(*model, std::move(native), *cfg);
#else
    serve::Server server(*model, serve::torch_serve_model(*model, *cfg), *cfg);
#endif
    struct sigaction sa {};
    sa.sa_handler = on_signal;  // the handler only sets a flag; this thread stops the server
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    server.start();
    std::cerr << "murmur: serving " << *model << " on " << server.url() << " with " << cfg->workers << " workers, "
              << cfg->model_copies << " model cop" << (cfg->model_copies == 1 ? "y" : "ies")
              << (cfg->host == "127.0.0.1" ? " (loopback only)" : "") << "; Ctrl-C stops" << std::endl;
    while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    server.stop();
    std::cerr << "murmur: stopped" << std::endl;
  });
}

Registrar registrar("serve", setup);

}  // namespace
}  // namespace murmur::cli
