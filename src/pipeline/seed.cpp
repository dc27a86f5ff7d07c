#include "pipeline/seed.h"

#include <cstring>

#include "model/seed_cnn.h"
#include "util/check.h"
#include "util/openmp.h"

namespace murmur::pipeline {

namespace {

// The network's pictures of a recording at the preset's rate: uint8 [views, H, W, 3] (the
// picture, then its time-reversed twin), their rows drawn through `run`.
torch::Tensor seed_views(const SeedPreset& p, const audio::Audio& a, int views, const features::RowRunner& run) {
  const auto pictures = features::seed_pictures(features::log_mel(a.samples, p.log_mel), p.image, views, run);
  const int s = p.image.input_size_px;
  auto out = torch::empty({views, s, s, 3}, torch::kUInt8);
  for (int v = 0; v < views; ++v)
    std::memcpy(out[v].data_ptr<uint8_t>(), pictures[size_t(v)].pixels.data(), pictures[size_t(v)].pixels.size());
  return out;
}

}  // namespace

SeedPreset::SeedPreset() {
  audio.target_rate_hz = features::kReferenceRateHz;  // librosa.load's default: the reference upsampled 4 kHz
}                                // every other default is the reference's

void SeedPreset::own_from_json(const nlohmann::json& j) {
  if (j.contains("image")) image = j["image"].get<features::SeedImageConfig>();
  // Checkpoints from before this setting carry no "eval" and now answer with the picture alone
  // (the committed seed cv run evaluated both views: docs/RESULTS.md section 2).
  if (j.contains("eval")) eval_views = j["eval"].value("views", eval_views);
}

void SeedPreset::validate_own() const {
  image.validate();
  util::check_setting(eval_views == 1 || eval_views == 2, "eval.views", "must be 1 (the picture) or 2 (and its twin)",
                      eval_views);
}

nlohmann::json SeedPreset::feature_json() const {
  return {{"preset", name()}, {"target_rate_hz", audio.target_rate_hz}, {"log_mel", log_mel}, {"image", image}};
}

features::Image SeedPreset::picture(const audio::Audio& a) const {
  check_rate(a);
  return features::render_seed_image(features::log_mel(a.samples, log_mel), image);
}

torch::Tensor SeedPreset::features(const audio::Audio& a) const {
  check_rate(a);
  return seed_views(*this, a, 2, {});  // the cache's callers run one recording per thread
}

torch::Tensor SeedPreset::answer_features(const audio::Audio& a) const {
  check_rate(a);
  // The twin only where it is evaluated; the picture's rows on LibTorch's threads, as the network
  // after it (one thread where predict runs a recording per core).
  auto on_torch_threads = [](size_t n, const std::function<void(size_t)>& body) {
    util::on_openmp_threads(n, torch::get_num_threads(), body);
  };
  return seed_views(*this, a, eval_views, on_torch_threads);
}

torch::Tensor SeedPreset::train_views(const torch::Tensor& stored) const {
  return stored.permute({0, 3, 1, 2}).contiguous();  // bytes (a quarter of the memory)
}

torch::Tensor SeedPreset::augment(const torch::Tensor& batch) const { return train::random_hflip(batch, 0.3); }

Network SeedPreset::make_network() const {
  model::SeedCnn net;
  return {net.ptr(), [net, image = image](const torch::Tensor& x) mutable { return net->forward(normalise_seed(x, image)); },
          {}};
}

Network SeedPreset::for_inference(Network n) const {
  auto* seed = dynamic_cast<model::SeedCnnImpl*>(n.module.get());
  n.module->eval();
  auto folded = std::make_shared<model::FoldedSeedCnn>(*seed);
  n.forward = [folded, image = image](const torch::Tensor& x) { return folded->forward(normalise_seed(x, image)); };
  return n;
}

torch::Tensor SeedPreset::recording_probs(const Network& n, const torch::Tensor& stored) const {
  torch::NoGradGuard no_grad;
  ensure_eval(*n.module);
  auto views = stored.slice(0, 0, std::min<int64_t>(eval_views, stored.size(0)));
  return torch::softmax(n.forward(normalise_seed(views.permute({0, 3, 1, 2}), image)), 1).mean(0);
}

features::Image SeedPreset::feature_picture(const torch::Tensor& stored, int) const {
  auto pic = stored[0].contiguous().to(torch::kUInt8);
  features::Image im(int(pic.size(1)), int(pic.size(0)), 3);
  std::memcpy(im.pixels.data(), pic.data_ptr<uint8_t>(), im.pixels.size());
  return im;
}

torch::Tensor SeedPreset::picture_input(const features::Image& png, const std::string&) const {
  auto x = features::image_to_input(png, image);  // the reference's eval transform, no twin
  const int s = image.input_size_px;
  return torch::from_blob(x.data(), {1, 3, s, s}, torch::kFloat).clone();
}

torch::Tensor normalise_seed(const torch::Tensor& rgb, const features::SeedImageConfig& c) {
  if (rgb.scalar_type() != torch::kByte) return rgb;
  auto x = rgb.to(torch::kFloat).div(255.0);
  auto mean = torch::tensor({c.mean[0], c.mean[1], c.mean[2]}).view({1, 3, 1, 1});
  auto std = torch::tensor({c.std[0], c.std[1], c.std[2]}).view({1, 3, 1, 1});
  return ((x - mean) / std).contiguous();
}

}  // namespace murmur::pipeline
