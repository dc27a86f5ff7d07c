// The heart-cycle auxiliary task (native.cycle_weight): annotated states become a channel that
// training cuts with the features, the frame-level head's targets and loss, and a head that learns
// the states the features show.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "experiment/dataset.h"
#include "experiment/runs.h"
#include "model/native_net.h"
#include "pipeline/native.h"
#include "pipeline/registry.h"
#include "synth/synth.h"
#include "test_util.h"
#include "util/error.h"

using namespace murmur;
namespace fs = std::filesystem;

TEST(CycleHead, TargetsAreEachStepsCentreFrame) {
  // 20 frames -> 2 trunk steps (stride 8): frames 4 and 12; state + 1 in, state or -1 out.
  auto frames = torch::zeros({2, 20});
  frames[0][4] = 2, frames[0][12] = 4;  // systole, diastole
  frames[1][4] = 1;                     // S1; frame 12 not annotated
  auto t = model::cycle_targets(frames, 2);
  ASSERT_EQ(t.sizes(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(t[0][0].item<int64_t>(), 1);
  EXPECT_EQ(t[0][1].item<int64_t>(), 3);
  EXPECT_EQ(t[1][0].item<int64_t>(), 0);
  EXPECT_EQ(t[1][1].item<int64_t>(), -1);
  // A step whose centre lies past the last frame takes the last frame.
  auto short_frames = torch::full({1, 10}, 3.f);
  EXPECT_EQ(model::cycle_targets(short_frames, 2)[0][1].item<int64_t>(), 2);
}

TEST(CycleHead, LossCountsOnlyAnnotatedSteps) {
  auto logits = torch::randn({2, 4, 3}, torch::requires_grad());
  auto none = torch::full({2, 3}, -1, torch::kLong);
  auto zero = model::cycle_loss(logits, none);
  EXPECT_EQ(zero.item<float>(), 0.f);
  zero.backward();  // a gradient path even when nothing is annotated
  ASSERT_TRUE(logits.grad().defined());
  EXPECT_EQ(logits.grad().abs().sum().item<float>(), 0.f);
  auto some = none.clone();
  some[0][1] = 2, some[1][2] = 0;
  const float expected = (torch::nn::functional::cross_entropy(logits.select(2, 1).slice(0, 0, 1), torch::tensor({2L})) +
                          torch::nn::functional::cross_entropy(logits.select(2, 2).slice(0, 1, 2), torch::tensor({0L})))
                             .item<float>() / 2;
  EXPECT_NEAR(model::cycle_loss(logits, some).item<float>(), expected, 1e-5);
}

TEST(CycleHead, TrainingInputCarriesTheAnnotatedStates) {
  const std::string d = test::temp_dir("cycle_input");
  std::ofstream(d + "/a.tsv") << "start_s\tend_s\tstate\n0.0\t0.1\tS1\n0.1\t0.3\tsystole\n0.3\t0.4\tS2\n"
                                 "0.4\t0.9\tdiastole\n0.9\t1.0\tnoise\n";
  pipeline::NativePreset off;
  auto p = pipeline::with_overrides(off, {"native.cycle_weight=1"});
  const auto stored = torch::randn({1, 32, 40});
  data::Recording r;
  r.segmentation = d + "/a.tsv";
  EXPECT_TRUE(off.training_input(stored, r).equal(stored));  // off: the features alone
  auto x = p->training_input(stored, r);
  ASSERT_EQ(x.sizes(), (std::vector<int64_t>{2, 32, 40}));
  EXPECT_TRUE(x[0].equal(stored[0]));
  // Frame k is centred at k * 32 ms: S1 to 0.1 s (frames 0-3), systole to 0.3 s (4-9), S2 to
  // 0.4 s (10-12), diastole to 0.9 s (13-28), noise and past the annotation: none.
  const std::vector<float> expected_at = {1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3, 4};
  for (size_t k = 0; k < expected_at.size(); ++k) EXPECT_EQ(x[1][7][int64_t(k)].item<float>(), expected_at[k]) << k;
  EXPECT_EQ(x[1][0][28].item<float>(), 4.f);
  EXPECT_EQ(x[1][0][29].item<float>(), 0.f);
  EXPECT_EQ(x[1][31][39].item<float>(), 0.f);
  EXPECT_TRUE(x[1].select(1, 5).eq(2).all().item<bool>());  // the same in every band
  // A noise span overrides the states it overlaps (as the segmenter's scoring ignores them).
  std::ofstream(d + "/overlap.tsv") << "start_s\tend_s\tstate\n0.0\t1.0\tdiastole\n0.2\t0.3\tnoise\n";
  r.segmentation = d + "/overlap.tsv";
  auto o = p->training_input(stored, r)[1][0];
  EXPECT_EQ(o[6].item<float>(), 4.f);  // 0.192 s
  for (int k : {7, 8, 9}) EXPECT_EQ(o[k].item<float>(), 0.f) << k;  // 0.224-0.288 s
  EXPECT_EQ(o[10].item<float>(), 4.f);
  data::Recording plain;  // no annotation: a channel of "none"
  EXPECT_EQ(p->training_input(stored, plain)[1].abs().sum().item<float>(), 0.f);
  // A malformed annotation names its file and line.
  std::ofstream(d + "/bad.tsv") << "start_s\tend_s\tstate\n0.0\t0.1\tlub\n";
  r.segmentation = d + "/bad.tsv";
  try {
    p->training_input(stored, r);
    FAIL() << "a state named lub was taken";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.tsv:2"), std::string::npos) << e.what();
  }
}

namespace {

// Examples [n, 2, 32, 64]: noise, with each heart-cycle state marked by its own bands (S1 2-4,
// systole 10-14, S2 18-20, diastole none) at a random phase; channel 1 holds the states + 1.
torch::Tensor cycle_examples(int64_t n) {
  auto x = torch::randn({n, 2, 32, 64}) * 0.5;
  const std::vector<std::pair<int, int>> band = {{2, 5}, {10, 15}, {18, 21}, {0, 0}};
  for (int64_t i = 0; i < n; ++i) {
    const int64_t shift = torch::randint(0, 64, {1}).item<int64_t>();
    for (int64_t k = 0; k < 64; ++k) {
      const int64_t c = (k + shift) % 64;  // S1 8 frames, systole 16, S2 8, diastole 32
      const int s = c < 8 ? 0 : c < 24 ? 1 : c < 32 ? 2 : 3;
      x[i][1].select(1, k).fill_(float(s + 1));
      if (band[size_t(s)].second > 0) x[i][0].slice(0, band[size_t(s)].first, band[size_t(s)].second).select(1, k).add_(2.0);
    }
  }
  return x;
}

}  // namespace

TEST(CycleHead, LearnsTheStatesTheFeaturesShow) {
  torch::manual_seed(0);
  torch::set_num_threads(2);
  auto p = pipeline::with_overrides(pipeline::NativePreset{}, {"native.cycle_weight=1", "net.width=4", "net.dropout=0"});
  auto net = p->make_network();
  ASSERT_TRUE(net.aux_loss);
  train::Batchable train_set{cycle_examples(96), torch::randint(0, 5, {96}, torch::kLong), {}};
  train::Batchable val{cycle_examples(32), torch::randint(0, 5, {32}, torch::kLong), {}};
  train::TrainConfig cfg;
  cfg.epochs = 12, cfg.batch_size = 16, cfg.lr = 1e-2, cfg.stop_at_val_acc = 2, cfg.collapse_after_epoch = 0;
  train::fit(*net.module, net.forward, train_set, val, 5, cfg, {}, {}, {}, net.aux_loss);
  // The head names the state of held-out examples' steps far above the majority state's share (1/2).
  auto test = cycle_examples(32);
  auto& module = dynamic_cast<model::NativeNetImpl&>(*net.module);
  module.eval();
  torch::NoGradGuard no_grad;
  auto [logits, states] = module.forward_with_cycle(test.slice(1, 0, 1));
  EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{32, 5}));
  auto targets = model::cycle_targets(test.select(1, 1).select(1, 0), states.size(2));
  const double right = states.argmax(1).eq(targets).to(torch::kFloat).mean().item<double>();
  EXPECT_GT(right, 0.8);
  // Evaluation and inference take the features alone, or with the state channel (ignored).
  EXPECT_TRUE(net.forward(test).equal(net.forward(test.slice(1, 0, 1))));
}

TEST(CycleHead, TrainingSetsCarryTheStatesOfAnnotatedRecordings) {
  const std::string d = test::temp_dir("cycle_sets");
  synth::SynthConfig cfg;
  cfg.n_patients = 2, cfg.seed = 5, cfg.duration_s = 4, cfg.sample_rate_hz = 2000;
  synth::write_synthetic_dataset(d + "/gen", cfg);
  fs::create_directories(d + "/data");
  std::ofstream m(d + "/data/manifest.csv");
  m << "file,patient,source,abnormal,segmentation\n";
  int n = 0;
  for (auto& e : fs::directory_iterator(d + "/gen/train")) {
    const std::string name = e.path().filename().string();
    fs::copy_file(e.path(), d + "/data/" + name);
    const bool annotated = n % 2 == 0;
    if (annotated) std::ofstream(d + "/data/" + name + ".tsv") << "start_s\tend_s\tstate\n0\t0.5\tsystole\n0.5\t4\tdiastole\n";
    m << name << ",p" << n << ",clinic," << (n % 3 == 0) << "," << (annotated ? name + ".tsv" : "") << "\n";
    ++n;
  }
  m.close();
  auto p = pipeline::with_overrides(*pipeline::make_preset("pooled"), {"native.cycle_weight=0.5", "native.crops_per_epoch=1"});
  auto set = experiment::load_dataset({d + "/data", d + "/cache", true, 1}, *p);
  ASSERT_EQ(int(set.recordings.size()), n);
  std::vector<int> all(set.recordings.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = int(i);
  auto b = experiment::make_set(set, experiment::all_views(all), *p);  // one view per recording, in order
  ASSERT_EQ(b.x.size(1), 2);
  for (size_t i = 0; i < set.recordings.size(); ++i) {
    const bool annotated = !set.recordings[i].segmentation.empty();
    // The first frame lies in the annotated systole; unannotated recordings have none.
    EXPECT_EQ(b.x[int64_t(i)][1][0][0].item<float>(), annotated ? 2.f : 0.f) << set.recordings[i].name;
  }
}
