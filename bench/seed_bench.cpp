// murmur's half of bench/seed_side_by_side.py (which runs the reference's PyTorch side on the
// same images and files, in the same run, with the same thread count):
//   - training throughput of the seed recipe (murmur's train::fit: batch 16, random horizontal
//     flip, class-weighted cross-entropy, AdamW, clipping, a 16-image validation pass per epoch);
//   - SeedCnn forward, batch 1: the training module in eval mode, and the folded inference network;
//   - end-to-end predict of each WAV (load, resample, log-mel, pictures, network) with a warm
//     Predictor: the seed preset (the reference's checkpoint) and, if given, a native model; the
//     seed model again without LibTorch, as `murmur predict` runs it (infer/seed_predictor.h).
// Writes the training images (the first picture of each WAV) to IMAGES_PT for the Python side.
// Prints one JSON object.
//   build/seed_bench THREADS IMAGES_PT SEED_MODEL [NATIVE_MODEL|-] FILE.wav...
#include <sys/resource.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>

#include "audio/audio.h"
#include "data/index.h"
#include "infer/native_engine.h"
#include "infer/seed_predictor.h"
#include "model/checkpoint.h"
#include "pipeline/predictor.h"
#include "pipeline/seed.h"
#include "model/seed_cnn.h"
#include "train/trainer.h"
#include "util/alloc.h"

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// Median ms of f() over `reps` calls after one warm-up call.
template <class F>
double median_ms(int reps, F f) {
  f();
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    auto t0 = Clock::now();
    f();
    t.push_back(ms_since(t0));
  }
  return median(t);
}

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) / 1024.0;
}

}  // namespace

int main(int argc, char** argv) {
  murmur::util::keep_freed_memory();  // as the murmur CLI does
  if (argc < 6) {
    std::cerr << "usage: seed_bench THREADS IMAGES_PT SEED_MODEL NATIVE_MODEL|- FILE.wav...\n";
    return 2;
  }
  const int threads = std::stoi(argv[1]);
  const std::string images_pt = argv[2], seed_model = argv[3], native_model = argv[4];
  std::vector<std::string> files(argv + 5, argv + argc);
  torch::set_num_threads(threads);
  nlohmann::json out = {{"threads", threads}, {"files", files.size()}};

  // The training images: the seed picture of each file (its time-reversed twin left out), labels
  // from the file names.
  auto seed_ptr = std::make_shared<murmur::pipeline::SeedPreset>();
  const auto& seed = *seed_ptr;
  std::vector<torch::Tensor> xs;
  std::vector<int64_t> ys;
  for (auto& f : files) {
    xs.push_back(seed.train_views(seed.features(murmur::audio::load(f, seed.audio))).slice(0, 0, 1));
    auto name = murmur::data::parse_recording_name(std::filesystem::path(f).stem().string());
    ys.push_back(name ? std::max(0, murmur::data::class_index(name->file_class)) : 0);
  }
  murmur::train::Batchable train{torch::cat(xs), torch::tensor(ys, torch::kLong), {}};
  murmur::train::Batchable val{train.x.slice(0, 0, 16), train.y.slice(0, 0, 16), {}};
  // PyTorch gets the pictures already normalised (murmur normalises each batch as it trains).
  murmur::model::write_tensor_file(images_pt, murmur::pipeline::normalise_seed(train.x, seed.image));
  murmur::model::write_tensor_file(images_pt + ".labels", train.y);

  // Training throughput: two epochs of the recipe.
  // The classifier murmur train builds (its forward normalises each byte batch) and the preset's recipe.
  torch::manual_seed(0);
  auto c = murmur::pipeline::Model::fresh(seed_ptr);
  auto net = std::dynamic_pointer_cast<murmur::model::SeedCnnImpl>(c.net.module);
  murmur::train::TrainConfig cfg = seed.train;
  cfg.epochs = 2;
  cfg.stop_at_val_acc = 1.01;
  cfg.collapse_after_epoch = 0;
  auto t0 = Clock::now();
  murmur::train::fit(*c.net.module, c.net.forward, train, val, 5, cfg, [&](const torch::Tensor& x) { return seed.augment(x); });
  double train_s = ms_since(t0) / 1000.0;
  out["train_images_per_s"] = double(train.size() * cfg.epochs) / train_s;
  out["train_seconds"] = train_s;
  out["train_images"] = train.size();
  out["peak_rss_mb_after_training"] = peak_rss_mb();

  // Forward, batch 1.
  net->eval();
  auto one = murmur::pipeline::normalise_seed(train.x.slice(0, 0, 1), seed.image);
  out["forward_ms"] = median_ms(30, [&] {
    torch::NoGradGuard no_grad;
    net->forward(one);
  });
  murmur::model::FoldedSeedCnn folded(*net);
  out["forward_folded_ms"] = median_ms(30, [&] { folded.forward(one); });

  // End-to-end predict, warm model, per file: the median.
  auto per_file_ms = [&](const std::function<void(const std::string&)>& predict_file) {
    predict_file(files.front());
    std::vector<double> t;
    for (auto& f : files) {
      auto t1 = Clock::now();
      predict_file(f);
      t.push_back(ms_since(t1));
    }
    return median(t);
  };
  auto in_libtorch = [&](const std::string& model_path) {
    auto p = murmur::pipeline::Predictor::open(model_path);
    return per_file_ms([&](const std::string& f) { p.predict_file(f); });
  };
  out["predict_seed_ms"] = in_libtorch(seed_model);
  if (native_model != "-") out["predict_native_ms"] = in_libtorch(native_model);
  // The seed model as `murmur predict` runs it, without LibTorch (infer/seed_predictor.h): oneDNN
  // on the same threads, and the picture's rows on them too.
  if (auto p = murmur::infer::SeedPredictor::open(seed_model)) {
    murmur::infer::set_engine_threads(threads);
    out["predict_seed_onednn_ms"] = per_file_ms([&](const std::string& f) { p->predict_file(f); });
  }
  std::cout << out.dump() << "\n";
  return 0;
}
