// ServeModel (serve_model.h) on LibTorch's Predictor: every preset, `model_copies` instances
// shared by the workers (model_pool.h) and, with max_batch > 1, concurrent requests in one
// forward pass (batcher.h). What murmur-torch serves, and Server(path, cfg).
//
//   auto m = torch_serve_model("runs/native", cfg);   // murmur::Error if it cannot be read
//   Server server("runs/native", std::move(m), cfg);
#pragma once

#include <memory>
#include <string>

#include "serve/serve_model.h"
#include "serve/server.h"

namespace murmur::serve {

std::unique_ptr<ServeModel> torch_serve_model(const std::string& path, const ServerConfig& cfg);

}  // namespace murmur::serve
