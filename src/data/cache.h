// Feature cache: features are computed once per recording and config, then reused across
// folds, repeats and runs.
//
//   murmur::data::FeatureCache cache(".murmur-cache");           // "" = no cache
//   torch::Tensor t = cache.get_or_compute(path, preset.feature_json(), [&] { return compute(); });
//
// The key is a hash of the file's bytes and of the feature config (JSON), so an edited file or
// a changed setting never reads stale features. Entries are written atomically.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

namespace murmur::data {

class FeatureCache {
 public:
  explicit FeatureCache(std::string dir) : dir_(std::move(dir)) {}
  torch::Tensor get_or_compute(const std::string& audio_path, const nlohmann::json& config,
                               const std::function<torch::Tensor()>& compute) const;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

// A tensor as a small self-describing binary file (dtype, shape, raw bytes); atomic write.
void write_tensor_raw(const std::string& path, const torch::Tensor& t);
torch::Tensor read_tensor_raw(const std::string& path);

}  // namespace murmur::data
