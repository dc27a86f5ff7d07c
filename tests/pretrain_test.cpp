// Self-supervised pretraining (train/pretrain.h, experiment/pretrain_run.h): the contrastive
// loss, a run that learns to find each window's twin, resumes from its file, and hands its trunk
// (or EfficientAT's encoder) to a fine-tuned preset through --init.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>

#include "experiment/pretrain_run.h"
#include "model/checkpoint.h"
#include "model/init.h"
#include "pipeline/model.h"
#include "synth/synth.h"
#include "test_util.h"
#include "util/error.h"

namespace murmur {
namespace {

TEST(Pretrain, NtXentIsLowWhenTwinsAgree) {
  torch::manual_seed(0);
  const auto a = torch::randn({8, 16});
  const double twins = train::nt_xent(torch::cat({a, a + 0.01 * torch::randn({8, 16})}), 0.2).item<double>();
  const double strangers = train::nt_xent(torch::randn({16, 16}), 0.2).item<double>();
  EXPECT_LT(twins, 0.5);
  // Random embeddings: about log(2B - 1), every other view as likely as the twin.
  EXPECT_NEAR(strangers, std::log(15.0), 1.5);
  EXPECT_GT(strangers, twins + 1.0);
  EXPECT_THROW(train::nt_xent(torch::randn({5, 4}), 0.2), Error);
}

TEST(Pretrain, LearnsTwinsResumesAndHandsItsTrunkToFineTuning) {
  torch::set_num_threads(2);
  const std::string d = test::temp_dir("pretrain");
  synth::SynthConfig s;
  s.n_patients = 10, s.seed = 3, s.duration_s = 6;
  synth::write_synthetic_dataset(d + "/data", s);
  experiment::PretrainRunOptions o;
  o.data = {d + "/data", d + "/cache", /*quiet=*/true, 2};
  o.out_dir = d + "/pre";
  o.pretrain.epochs = 6;
  o.pretrain.batch_size = 16;
  const auto full = experiment::pretrain_run(o);
  const auto& h = full["history"];
  ASSERT_EQ(h.size(), 6u);
  EXPECT_LT(h[5]["loss"].get<double>(), h[0]["loss"].get<double>() - 0.3) << h.dump();
  EXPECT_GT(h[5]["positive_rank1"].get<double>(), 6.0 / 31) << "six times chance: " << h.dump();

  // Stopped after 4 epochs, resumed to 6: epochs 5 and 6 added to the same file and history.
  o.out_dir = d + "/pre_resumed";
  o.pretrain.epochs = 4;
  const auto four = experiment::pretrain_run(o);
  o.resume = true;
  o.pretrain.epochs = 6;
  const auto six = experiment::pretrain_run(o);
  ASSERT_EQ(six["history"].size(), 6u);
  for (size_t e = 0; e < 4; ++e) EXPECT_EQ(six["history"][e], four["history"][e]);
  EXPECT_EQ(model::read_checkpoint(d + "/pre_resumed/model.pth").epoch, 6);
  o.pretrain.temperature = 0.5;
  EXPECT_THROW(experiment::pretrain_run(o), Error) << "another recipe in the same folder";

  // Fine-tuning: every trunk tensor is taken, the head is the preset's own.
  const model::Checkpoint ck = model::read_checkpoint(d + "/pre/model.pth");
  EXPECT_EQ(ck.epoch, 6);
  EXPECT_EQ(ck.provenance["recordings"].get<int64_t>(), full["recordings"].get<int64_t>());
  auto valves = pipeline::Model::fresh(pipeline::make_preset("valves"));
  const auto report = model::init_from(*valves.net.module, ck.state_dict, "pre");
  int trunk = 0;
  for (const auto& item : model::state_dict(*valves.net.module)) trunk += item.key().rfind("trunk.", 0) == 0;
  EXPECT_EQ(int(report.taken.size()), trunk);
  EXPECT_EQ(report.not_in_file, (std::vector<std::string>{"head.weight", "head.bias"}));
  EXPECT_TRUE(torch::equal(model::state_dict(*valves.net.module)["trunk.0.weight"], ck.state_dict["trunk.0.weight"]));
}

// EfficientAT's encoder: pretrained from the preset's train.init (here a file of known weights,
// standing in for AudioSet's), all but the output layer kept and taken by a fine-tuned preset.
TEST(Pretrain, PretrainsEfficientAtsEncoderFromItsStartAndHandsItOn) {
  torch::set_num_threads(2);
  const std::string d = test::temp_dir("pretrain_efficientat");
  synth::SynthConfig s;
  s.n_patients = 6, s.seed = 4, s.duration_s = 5;
  synth::write_synthetic_dataset(d + "/data", s);
  torch::manual_seed(7);
  auto start = pipeline::Model::fresh(pipeline::make_preset("efficientat-pooled"));
  model::Checkpoint start_ck;
  start_ck.state_dict = model::state_dict(*start.net.module);
  model::write_checkpoint(d + "/start.pth", start_ck);

  experiment::PretrainRunOptions o;
  o.preset = pipeline::with_overrides(*pipeline::make_preset("efficientat-pooled"),
                                      {"train.init=" + d + "/start.pth", "efficientat.keep_bands=56"});
  o.data = {d + "/data", d + "/cache", /*quiet=*/true, 2};
  o.out_dir = d + "/pre";
  o.pretrain.epochs = 2;
  o.pretrain.batch_size = 8;
  const auto summary = experiment::pretrain_run(o);
  ASSERT_EQ(summary["history"].size(), 2u);
  EXPECT_TRUE(std::isfinite(summary["history"][1]["loss"].get<double>()));
  EXPECT_EQ(summary["init"], d + "/start.pth");

  const model::Checkpoint ck = model::read_checkpoint(d + "/pre/model.pth");
  EXPECT_TRUE(ck.state_dict.contains("projection.0.weight"));
  EXPECT_FALSE(ck.state_dict.contains("classifier.5.weight")) << "the output layer is the task's";
  // The encoder learnt from the start; the head's hidden layer, which no view reaches, is the start's.
  EXPECT_FALSE(torch::equal(ck.state_dict["features.0.0.weight"], start_ck.state_dict["features.0.0.weight"]));
  EXPECT_TRUE(torch::equal(ck.state_dict["classifier.2.weight"], start_ck.state_dict["classifier.2.weight"]));

  auto valves = pipeline::Model::fresh(pipeline::make_preset("efficientat-valves"));
  const auto report = model::init_from(*valves.net.module, ck.state_dict, "pre");
  EXPECT_EQ(report.not_in_file, (std::vector<std::string>{"classifier.5.weight", "classifier.5.bias"}));
  EXPECT_EQ(report.taken.size() + 2, model::state_dict(*valves.net.module).size());
}

TEST(Pretrain, RefusesPresetsWithoutTheNativeTrunk) {
  experiment::PretrainRunOptions o;
  o.preset = pipeline::make_preset("seed");
  o.data.data_dir = "/nonexistent";
  try {
    experiment::pretrain_run(o);
    FAIL() << "the seed preset was pretrained";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("has no trunk to pretrain"), std::string::npos) << e.what();
  }
  o.pretrain.batch_size = 1;
  EXPECT_THROW(experiment::pretrain_run(o), Error);
}

}  // namespace
}  // namespace murmur
