// The training loop on a tiny problem it must learn, plus its stopping rules.
#include "train/trainer.h"

#include <gtest/gtest.h>

#include "util/error.h"

using namespace murmur::train;

namespace {

// Two well-separated Gaussian blobs per class in 4-D: any working loop reaches ~100%.
Batchable blobs(int n_per_class, int k, uint64_t seed) {
  torch::manual_seed(seed);
  std::vector<torch::Tensor> xs, ys;
  for (int c = 0; c < k; ++c) {
    auto centre = torch::zeros({4});
    centre[c % 4] = 4.0 * (c / 4 + 1);
    xs.push_back(torch::randn({n_per_class, 4}) + centre);
    ys.push_back(torch::full({n_per_class}, c, torch::kLong));
  }
  return {torch::cat(xs), torch::cat(ys)};
}

}  // namespace

TEST(Trainer, ClassWeightsAreInverseFrequency) {
  auto y = torch::tensor({0, 0, 0, 1, 2, 2}, torch::kLong);
  auto w = class_weights(y, 4);
  EXPECT_NEAR(w[0].item<float>(), 6.f / (4 * 3), 1e-6);
  EXPECT_NEAR(w[1].item<float>(), 6.f / (4 * 1), 1e-6);
  EXPECT_NEAR(w[2].item<float>(), 6.f / (4 * 2), 1e-6);
  EXPECT_EQ(w[3].item<float>(), 0.f);  // absent class
}

TEST(Trainer, LearnsSeparableProblemAndKeepsBest) {
  torch::set_num_threads(1);
  auto train = blobs(40, 3, 1), val = blobs(20, 3, 2);
  auto net = torch::nn::Sequential(torch::nn::Linear(4, 16), torch::nn::ReLU(), torch::nn::Linear(16, 3));
  TrainConfig cfg;
  cfg.epochs = 40;
  cfg.stop_at_val_acc = 1.01;  // run to the end
  cfg.collapse_after_epoch = 0;
  std::vector<EpochLog> seen;
  auto result = fit(*net, [&](const torch::Tensor& x) { return net->forward(x); }, train, val, 3, cfg, {},
                    [&](const EpochLog& e) { seen.push_back(e); });
  EXPECT_EQ(result.stop_reason, "epochs");
  EXPECT_EQ(seen.size(), 40u);
  EXPECT_GE(result.best_val_acc, 0.95);
  EXPECT_LT(seen.back().train_loss, seen.front().train_loss);
  // The model holds the best epoch's weights.
  auto ev = evaluate(*net, [&](const torch::Tensor& x) { return net->forward(x); }, val, torch::ones({3}), 64);
  EXPECT_DOUBLE_EQ(ev.acc, result.best_val_acc);
}

TEST(Trainer, StopsAtTargetAccuracy) {
  auto train = blobs(40, 3, 1), val = blobs(20, 3, 2);
  auto net = torch::nn::Sequential(torch::nn::Linear(4, 16), torch::nn::ReLU(), torch::nn::Linear(16, 3));
  TrainConfig cfg;
  cfg.epochs = 50;
  cfg.stop_at_val_acc = 0.75;
  auto result = fit(*net, [&](const torch::Tensor& x) { return net->forward(x); }, train, val, 3, cfg);
  EXPECT_EQ(result.stop_reason, "target accuracy");
  EXPECT_LT(result.history.size(), 50u);
  EXPECT_GE(result.history.back().val_acc, 0.75);
}

// A model that cannot tell classes apart (constant input) collapses to one class after epoch 5.
TEST(Trainer, StopsWhenCollapsedToOneClass) {
  Batchable train{torch::zeros({60, 4}), torch::cat({torch::zeros({40}, torch::kLong), torch::ones({20}, torch::kLong)})};
  Batchable val{torch::zeros({10, 4}), torch::cat({torch::zeros({5}, torch::kLong), torch::ones({5}, torch::kLong)})};
  auto net = torch::nn::Linear(4, 2);
  TrainConfig cfg;
  cfg.epochs = 20;
  auto result = fit(*net, [&](const torch::Tensor& x) { return net->forward(x); }, train, val, 2, cfg);
  EXPECT_EQ(result.stop_reason, "collapsed to one class");
  EXPECT_EQ(result.history.size(), 6u);  // first check after epoch 5
}

TEST(Trainer, HflipFlipsAboutPOfTheBatch) {
  torch::manual_seed(3);
  auto x = torch::arange(4, torch::kFloat).reshape({1, 1, 1, 4}).repeat({2000, 1, 1, 1});
  auto y = random_hflip(x, 0.3);
  auto flipped = y.index({torch::indexing::Slice(), 0, 0, 0}).eq(3).to(torch::kFloat).mean().item<double>();
  EXPECT_NEAR(flipped, 0.3, 0.04);
  EXPECT_TRUE(random_hflip(x, 0.0).equal(x));
}

TEST(Trainer, RejectsEmptySets) {
  auto net = torch::nn::Linear(4, 2);
  Batchable empty{torch::zeros({0, 4}), torch::zeros({0}, torch::kLong)};
  auto train = blobs(5, 2, 0);
  auto fwd = [&](const torch::Tensor& x) { return net->forward(x); };
  EXPECT_THROW(fit(*net, fwd, train, empty, 2, TrainConfig{}), murmur::Error);
}
