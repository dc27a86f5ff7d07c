// The training loop on a tiny problem it must learn, plus its stopping rules.
#include "train/trainer.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "model/native_net.h"
#include "test_util.h"
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

namespace {

// A small net with the random parts of the real ones: dropout, batch norm, a random augmentation.
struct TinyRun {
  torch::nn::Sequential net{torch::nn::Linear(4, 16), torch::nn::BatchNorm1d(16), torch::nn::ReLU(),
                            torch::nn::Dropout(0.3), torch::nn::Linear(16, 3)};
  Forward forward() {
    return [this](const torch::Tensor& x) { return net->forward(x); };
  }
  static Augment noise() {
    return [](const torch::Tensor& x) { return x + 0.5 * torch::randn_like(x); };
  }
};

// Validation labels shifted by one class: its loss rises as training learns, so the plateau
// schedule must act within a few epochs.
Batchable mislabelled_val() {
  auto val = blobs(10, 3, 2);
  val.y = (val.y + 1) % 3;
  return val;
}

TrainConfig tiny_recipe() {
  TrainConfig cfg;
  cfg.epochs = 8;
  cfg.stop_at_val_acc = 1.01;  // run every epoch
  cfg.collapse_after_epoch = 0;
  cfg.plateau.patience = 1;  // so the schedule's state matters too
  cfg.seed = 11;
  return cfg;
}

std::vector<torch::Tensor> weights_of(torch::nn::Module& m) {
  std::vector<torch::Tensor> w;
  for (auto& p : m.parameters()) w.push_back(p.detach().clone());
  for (auto& b : m.buffers()) w.push_back(b.detach().clone());
  return w;
}

void expect_same_run(const FitResult& a, const FitResult& b) {
  ASSERT_EQ(a.history.size(), b.history.size());
  for (size_t i = 0; i < a.history.size(); ++i) {
    EXPECT_EQ(a.history[i].train_loss, b.history[i].train_loss) << "epoch " << i + 1;
    EXPECT_EQ(a.history[i].val_loss, b.history[i].val_loss) << "epoch " << i + 1;
    EXPECT_EQ(a.history[i].val_acc, b.history[i].val_acc) << "epoch " << i + 1;
    EXPECT_EQ(a.history[i].lr, b.history[i].lr) << "epoch " << i + 1;
  }
  EXPECT_EQ(a.best_epoch, b.best_epoch);
  EXPECT_EQ(a.stop_reason, b.stop_reason);
}

void expect_same_weights(torch::nn::Module& a, torch::nn::Module& b) {
  auto wa = weights_of(a), wb = weights_of(b);
  ASSERT_EQ(wa.size(), wb.size());
  for (size_t i = 0; i < wa.size(); ++i) EXPECT_TRUE(wa[i].equal(wb[i])) << "tensor " << i;
}

}  // namespace

// Same seed, same machine, same thread count: the very same numbers, bit for bit.
TEST(Trainer, SameSeedGivesIdenticalNumbers) {
  torch::set_num_threads(2);
  auto train = blobs(30, 3, 1), val = mislabelled_val();
  torch::manual_seed(5);
  TinyRun a;
  torch::manual_seed(5);
  TinyRun b;
  auto ra = fit(*a.net, a.forward(), train, val, 3, tiny_recipe(), TinyRun::noise());
  auto rb = fit(*b.net, b.forward(), train, val, 3, tiny_recipe(), TinyRun::noise());
  expect_same_run(ra, rb);
  expect_same_weights(*a.net, *b.net);
  EXPECT_LT(ra.history.back().lr, tiny_recipe().lr) << "the schedule should have reduced the rate at least once";
  // A different seed gives a different run (the test above is not vacuous).
  torch::manual_seed(5);
  TinyRun c;
  auto other = tiny_recipe();
  other.seed = 12;
  auto rc = fit(*c.net, c.forward(), train, val, 3, other, TinyRun::noise());
  EXPECT_NE(rc.history.front().train_loss, ra.history.front().train_loss);
}

// Killed after epoch 3, resumed from the epoch checkpoint: ends exactly as the uninterrupted run.
TEST(Trainer, ResumeFromEpochCheckpointEqualsUninterruptedRun) {
  torch::set_num_threads(2);
  const std::string state = murmur::test::temp_dir("resume") + "/train_state.pt";
  auto train = blobs(30, 3, 1), val = mislabelled_val();
  torch::manual_seed(5);
  TinyRun whole;
  auto expected = fit(*whole.net, whole.forward(), train, val, 3, tiny_recipe(), TinyRun::noise());

  struct Killed {};
  torch::manual_seed(5);
  TinyRun first;
  EXPECT_THROW(fit(*first.net, first.forward(), train, val, 3, tiny_recipe(), TinyRun::noise(),
                   [](const EpochLog& e) {
                     if (e.epoch == 3) throw Killed{};
                   },
                   EpochCheckpoint{state, false}),
               Killed);
  ASSERT_TRUE(std::filesystem::exists(state));

  torch::manual_seed(99);  // a different initialisation and generator state: all must come from the file
  TinyRun second;
  torch::randn({1000});
  std::vector<int> replayed;
  auto resumed = fit(*second.net, second.forward(), train, val, 3, tiny_recipe(), TinyRun::noise(),
                     [&](const EpochLog& e) { replayed.push_back(e.epoch); }, EpochCheckpoint{state, true});
  expect_same_run(resumed, expected);
  expect_same_weights(*second.net, *whole.net);
  EXPECT_EQ(replayed, (std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8})) << "saved epochs are replayed, then the rest";

  // A finished state resumes to the same end without training again; a different recipe is refused.
  TinyRun third;
  auto again = fit(*third.net, third.forward(), train, val, 3, tiny_recipe(), {}, {}, EpochCheckpoint{state, true});
  expect_same_run(again, expected);
  expect_same_weights(*third.net, *whole.net);
  auto changed = tiny_recipe();
  changed.lr = 5e-4;
  TinyRun fourth;
  EXPECT_THROW(fit(*fourth.net, fourth.forward(), train, val, 3, changed, {}, {}, EpochCheckpoint{state, true}),
               murmur::Error);
  // So is the same recipe under other model settings (e.g. a preset's native.cycle_weight).
  TinyRun fifth;
  EXPECT_THROW(fit(*fifth.net, fifth.forward(), train, val, 3, tiny_recipe(), {}, {},
                   EpochCheckpoint{state, true, R"({"native": {"cycle_weight": 0.5}})"}),
               murmur::Error);
  remove_training_state(state);
  EXPECT_FALSE(std::filesystem::exists(state));
}

TEST(Trainer, ValidateNamesTheSetKey) {
  auto message = [](auto&& validate) {
    try {
      validate();
    } catch (const murmur::Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  TrainConfig cfg;
  cfg.batch_size = 0;
  EXPECT_EQ(message([&] { cfg.validate(); }), "train.batch_size: must be at least 1 (got 0)");
  cfg = TrainConfig{};
  cfg.plateau.factor = 2;
  EXPECT_EQ(message([&] { cfg.validate(); }), "train.plateau.factor: must be in (0, 1) (got 2)");
  EXPECT_EQ(message([&] { cfg.validate("cv.train"); }).rfind("cv.train.plateau.factor: ", 0), 0u);
  murmur::model::NativeNetConfig net;
  net.width = 0;
  EXPECT_EQ(message([&] { net.validate(); }), "net.width: must be at least 1 (got 0)");
}
