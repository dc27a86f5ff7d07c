#include "train/pretrain.h"

#include <chrono>
#include <cmath>

#include "util/check.h"
#include "util/error.h"

namespace murmur::train {

void PretrainConfig::validate(const std::string& section) const {
  auto key = [&](const char* field) { return util::setting_key(section, field); };
  util::check_setting(epochs >= 1, key("epochs"), "must be at least 1", epochs);
  util::check_setting(batch_size >= 2, key("batch_size"), "must be at least 2 (the other recordings are the negatives)",
                      batch_size);
  util::check_setting(lr > 0, key("lr"), "must be > 0", lr);
  util::check_setting(!(weight_decay < 0), key("weight_decay"), "must be >= 0", weight_decay);
  util::check_setting(temperature > 0, key("temperature"), "must be > 0", temperature);
  util::check_setting(projection_dim >= 1, key("projection_dim"), "must be at least 1", projection_dim);
}

void to_json(nlohmann::json& j, const PretrainConfig& c) {
  j = {{"epochs", c.epochs}, {"batch_size", c.batch_size}, {"lr", c.lr}, {"weight_decay", c.weight_decay},
       {"temperature", c.temperature}, {"projection_dim", c.projection_dim}, {"seed", c.seed}};
}

void from_json(const nlohmann::json& j, PretrainConfig& c) {
  PretrainConfig d;
  c.epochs = j.value("epochs", d.epochs);
  c.batch_size = j.value("batch_size", d.batch_size);
  c.lr = j.value("lr", d.lr);
  c.weight_decay = j.value("weight_decay", d.weight_decay);
  c.temperature = j.value("temperature", d.temperature);
  c.projection_dim = j.value("projection_dim", d.projection_dim);
  c.seed = j.value("seed", d.seed);
  c.validate();
}

void to_json(nlohmann::json& j, const PretrainEpoch& e) {
  j = {{"epoch", e.epoch}, {"loss", e.loss}, {"positive_rank1", e.positive_rank1}, {"seconds", e.seconds}};
}

torch::nn::Sequential projection_head(int64_t channels, const PretrainConfig& cfg) {
  return torch::nn::Sequential(torch::nn::Linear(channels, channels), torch::nn::ReLU(),
                               torch::nn::Linear(channels, cfg.projection_dim));
}

namespace {

// Row i's positive among 2B views: i + B for the first view, i - B for the second.
torch::Tensor twin_index(int64_t n) {
  const auto idx = torch::arange(n, torch::kLong);
  return torch::where(idx < n / 2, idx + n / 2, idx - n / 2);
}

// [N, N] cosine similarities between the rows of z.
torch::Tensor cosine_matrix(const torch::Tensor& z) {
  auto u = torch::nn::functional::normalize(z, torch::nn::functional::NormalizeFuncOptions().dim(1));
  return torch::matmul(u, u.t());
}

}  // namespace

torch::Tensor nt_xent(const torch::Tensor& z, double temperature) {
  const int64_t n = z.size(0);
  if (n < 4 || n % 2) throw Error("nt_xent: expected 2B embeddings with B >= 2, got " + std::to_string(n));
  auto sim = cosine_matrix(z) / temperature;
  sim = sim.masked_fill(torch::eye(n, torch::kBool), -1e9);  // a view is not its own positive
  return torch::nn::functional::cross_entropy(sim, twin_index(n));
}

std::vector<PretrainEpoch> pretrain_trunk(torch::nn::Module& net, const TensorFn& embed,
                                          const std::vector<torch::Tensor>& recordings,
                                          int64_t window_frames,
                                          const TensorFn& view,
                                          const PretrainConfig& cfg, torch::nn::Sequential& head, int first_epoch,
                                          const std::function<void(const PretrainEpoch&)>& on_epoch) {
  cfg.validate();
  const int64_t n = int64_t(recordings.size());
  if (window_frames < 1) throw Error("pretrain: window_frames must be at least 1");
  // A window of the recording from a random start (torch's generator), zero-padded if shorter.
  auto window = [&](const torch::Tensor& r) {
    const int64_t t = r.size(2);
    if (t <= window_frames) return torch::constant_pad_nd(r, {0, window_frames - t});
    const int64_t start = torch::randint(t - window_frames + 1, {1}, torch::kLong).item<int64_t>();
    return r.slice(2, start, start + window_frames);
  };
  if (n < 2) throw Error("pretrain: needs at least 2 recordings, got " + std::to_string(n));
  const int64_t batch = std::min<int64_t>(cfg.batch_size, n);
  std::vector<torch::Tensor> params;
  for (auto& p : net.parameters()) params.push_back(p);
  for (auto& p : head->parameters()) params.push_back(p);
  torch::optim::AdamW opt(params, torch::optim::AdamWOptions(cfg.lr).weight_decay(cfg.weight_decay));
  std::vector<PretrainEpoch> log;
  net.train(true);
  head->train(true);
  for (int epoch = first_epoch; epoch < cfg.epochs; ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    torch::manual_seed(cfg.seed * 1000003 + uint64_t(epoch));  // an epoch is the same resumed or not
    const double lr = cfg.lr * 0.5 * (1 + std::cos(M_PI * epoch / cfg.epochs));  // cosine
    for (auto& group : opt.param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
    const auto order = torch::randperm(n, torch::kLong);
    double loss_sum = 0, rank1 = 0;
    int64_t steps = 0, views = 0;
    for (int64_t start = 0; start + batch <= n; start += batch) {  // full batches: every step has B - 1 negatives
      std::vector<torch::Tensor> first, second;
      for (int64_t i = start; i < start + batch; ++i) {
        const auto& r = recordings[size_t(order[i].item<int64_t>())];
        first.push_back(window(r));
        second.push_back(window(r));
      }
      const auto both = torch::cat({view(torch::stack(first)), view(torch::stack(second))});
      auto z = head->forward(embed(both));
      auto loss = nt_xent(z, cfg.temperature);
      opt.zero_grad();
      loss.backward();
      opt.step();
      loss_sum += loss.item<double>();
      {
        torch::NoGradGuard no_grad;
        auto sim = cosine_matrix(z).fill_diagonal_(-2.0);
        rank1 += sim.argmax(1).eq(twin_index(2 * batch)).sum().item<double>();
        views += 2 * batch;
      }
      ++steps;
    }
    PretrainEpoch e;
    e.epoch = epoch + 1;
    e.loss = loss_sum / double(std::max<int64_t>(1, steps));
    e.positive_rank1 = rank1 / double(std::max<int64_t>(1, views));
    e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    log.push_back(e);
    if (on_epoch) on_epoch(e);
  }
  net.train(false);
  head->train(false);
  return log;
}

}  // namespace murmur::train
