// murmur's half of the side-by-side (bench/side_by_side.py runs the Python reference on the
// same files in the same run): WAV -> 3x224x224 seed tensor, and WAV -> native features, for
// every file given, one thread, as predict makes them (answer_features: the seed picture without
// the twin that training adds). Prints one JSON object with ms per recording.
//   build/pipeline_bench FILE.wav...
#include <torch/torch.h>

#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

#include "audio/audio.h"
#include "pipeline/native.h"
#include "pipeline/seed.h"
#include "util/alloc.h"

int main(int argc, char** argv) {
  murmur::util::keep_freed_memory();  // as the murmur CLI does
  torch::set_num_threads(1);
  std::vector<std::string> files(argv + 1, argv + argc);
  if (files.empty()) {
    std::cerr << "usage: pipeline_bench FILE.wav...\n";
    return 2;
  }
  // The model input of one file: the seed preset's normalised pictures, the native features.
  auto input = [](const murmur::pipeline::Preset& p, const torch::Tensor& stored) {
    if (auto* seed = dynamic_cast<const murmur::pipeline::SeedPreset*>(&p))
      return murmur::pipeline::normalise_seed(seed->train_views(stored), seed->image);
    return stored;
  };
  auto time_ms = [&](const murmur::pipeline::Preset& p) {
    auto t0 = std::chrono::steady_clock::now();
    double checksum = 0;
    for (auto& f : files) {
      auto x = input(p, p.answer_features(murmur::audio::load(f, p.audio)));
      checksum += x.sum().item<double>();
    }
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return std::make_pair(ms / double(files.size()), checksum);
  };
  murmur::pipeline::SeedPreset seed;
  murmur::pipeline::NativePreset native;
  time_ms(seed);  // warm-up: page cache, allocator
  auto [seed_ms, seed_sum] = time_ms(seed);
  auto [native_ms, native_sum] = time_ms(native);
  std::cout << nlohmann::json{{"files", files.size()}, {"seed_tensor_ms", seed_ms}, {"native_features_ms", native_ms},
                              {"checksum", seed_sum + native_sum}}
                   .dump()
            << "\n";
  return 0;
}
