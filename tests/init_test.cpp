// Starting from other weights: --init (model/init.h), the trainer's frozen-then-unfrozen schedule,
// and the efficientat presets that use both.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "experiment/runs.h"
#include "model/init.h"
#include "pipeline/efficientat.h"
#include "pipeline/registry.h"
#include "test_util.h"
#include "train/trainer.h"
#include "util/error.h"

namespace {

using murmur::model::StateDict;

struct TwoLayers : torch::nn::Module {
  explicit TwoLayers(int hidden = 8, int out = 3)
      : body(register_module("body", torch::nn::Linear(4, hidden))),
        head(register_module("head", torch::nn::Linear(hidden, out))) {}
  torch::Tensor forward(const torch::Tensor& x) { return head(torch::relu(body(x))); }
  torch::nn::Linear body, head;
};

TEST(Init, TakesWhatMatchesAndListsTheRest) {
  TwoLayers from(8, 5), to(8, 3);
  StateDict file = murmur::model::state_dict(from);
  file.insert("extra.weight", torch::zeros({2}));
  auto r = murmur::model::init_from(to, file, "from.pth");
  EXPECT_EQ(r.taken, (std::vector<std::string>{"body.weight", "body.bias"}));
  EXPECT_EQ(r.shape_differs.size(), 2u);  // head.weight [3, 8] vs [5, 8], head.bias
  EXPECT_EQ(r.unused, (std::vector<std::string>{"extra.weight"}));
  EXPECT_EQ(r.values_taken, 8 * 4 + 8);
  EXPECT_TRUE(torch::equal(to.body->weight, from.body->weight));
  EXPECT_FALSE(torch::equal(to.head->bias.slice(0, 0, 3), from.head->bias.slice(0, 0, 3)));
  const std::string s = r.summary("from.pth");
  EXPECT_NE(s.find("took 2 of the model's 4 tensors (40 values)"), std::string::npos) << s;
  EXPECT_NE(s.find("head.weight [3, 8] (file [5, 8])"), std::string::npos) << s;
  EXPECT_NE(s.find("not used from the file: extra.weight"), std::string::npos) << s;

  // An ensemble file: its first member. A file of another architecture: refused.
  StateDict ensemble;
  murmur::model::add_member_state(ensemble, murmur::model::state_dict(from), 0);
  EXPECT_EQ(murmur::model::init_from(to, ensemble).taken.size(), 2u);
  StateDict other;
  other.insert("conv.weight", torch::zeros({1}));
  EXPECT_THROW(murmur::model::init_from(to, other), murmur::Error);
}

TEST(Init, FrozenParametersWaitTheirEpochsThenLearn) {
  torch::set_num_threads(1);
  torch::manual_seed(0);
  murmur::train::Batchable data{torch::randn({64, 4}), torch::randint(0, 3, {64}, torch::kLong)};
  TwoLayers net;
  const auto body0 = net.body->weight.detach().clone(), head0 = net.head->weight.detach().clone();
  murmur::train::TrainConfig cfg;
  cfg.epochs = 3;
  cfg.stop_at_val_acc = 1.01;
  cfg.collapse_after_epoch = 0;
  cfg.freeze_prefix = "body.";
  cfg.freeze_epochs = 2;
  cfg.unfreeze_lr_scale = 0.1;
  std::vector<bool> body_moved, head_moved;
  murmur::train::fit(net, [&](const torch::Tensor& x) { return net.forward(x); }, data, data, 3, cfg, {},
                     [&](const murmur::train::EpochLog&) {
                       body_moved.push_back(!torch::equal(net.body->weight, body0));
                       head_moved.push_back(!torch::equal(net.head->weight, head0));
                     });
  EXPECT_EQ(body_moved, (std::vector<bool>{false, false, true}));
  EXPECT_EQ(head_moved, (std::vector<bool>{true, true, true}));
  EXPECT_TRUE(net.body->weight.requires_grad());  // unfrozen again after training

  // Only what is set is written: the recipes (and saved states) of earlier runs stay equal.
  nlohmann::json plain = murmur::train::TrainConfig{};
  EXPECT_FALSE(plain.contains("init") || plain.contains("freeze_prefix"));
  nlohmann::json j = cfg;
  EXPECT_EQ(j.get<murmur::train::TrainConfig>().unfreeze_lr_scale, 0.1);

  cfg.freeze_prefix = "nothing.";
  EXPECT_THROW(murmur::train::fit(net, [&](const torch::Tensor& x) { return net.forward(x); }, data, data, 3, cfg),
               murmur::Error);
  cfg.freeze_prefix.clear();
  try {
    cfg.validate();
    ADD_FAILURE() << "freeze_epochs without a prefix was accepted";
  } catch (const murmur::Error& e) {
    EXPECT_NE(std::string(e.what()).find("train.freeze_prefix"), std::string::npos) << e.what();
  }
}

TEST(Init, SeededModelStartsFromTrainInit) {
  const std::string dir = murmur::test::temp_dir("seeded_init");
  auto preset = murmur::pipeline::make_preset("valves");
  auto source = murmur::experiment::seeded_model(preset->clone(), true);
  murmur::model::Checkpoint ck;
  ck.state_dict = murmur::model::state_dict(*source.net.module);
  ck.label_to_idx = {{"AR", 0}, {"AS", 1}, {"MR", 2}, {"MS", 3}};
  murmur::model::write_checkpoint(dir + "/start.pth", ck);

  preset->train.seed = 7;  // other initial weights, then the file's
  preset->train.init = dir + "/start.pth";
  auto m = murmur::experiment::seeded_model(preset->clone(), true);
  const auto mine = murmur::model::state_dict(*m.net.module);
  for (const auto& item : ck.state_dict) EXPECT_TRUE(torch::equal(mine[item.key()], item.value())) << item.key();

  preset->train.init = dir + "/absent.pth";
  try {
    murmur::experiment::seeded_model(preset->clone(), true);
    ADD_FAILURE() << "a missing init file was accepted";
  } catch (const murmur::Error& e) {
    EXPECT_NE(std::string(e.what()).find("absent.pth is not a file"), std::string::npos) << e.what();
  }
}

TEST(EfficientAtPreset, WindowsOnOnePassAndTheRecipe) {
  torch::NoGradGuard no_grad;
  for (const std::string name : {"efficientat", "efficientat-valves"}) {
    auto p = murmur::pipeline::make_preset(name);
    EXPECT_EQ(p->name(), name);
    EXPECT_EQ(p->audio.target_rate_hz, 32000);
    EXPECT_EQ(p->train.freeze_prefix, "features.");
    EXPECT_FALSE(p->to_json().contains("net"));
    auto net = p->make_network();
    net.module->eval();
    auto& encoder = dynamic_cast<murmur::model::EfficientAtImpl&>(*net.module);
    // One window's worth of frames: the windowed path is the network's own forward.
    auto x = torch::randn({2, 1, 128, 400});
    auto w = murmur::pipeline::efficientat_window_logits(encoder, x, 400, 100);
    ASSERT_EQ(w.size(1), 1);
    EXPECT_TRUE(torch::allclose(w.select(1, 0), net.forward(x), 1e-5, 1e-5)) << name;
    // 20 s: 4 s windows every 1 s (in the encoder's 0.32 s steps).
    auto probs = p->batch_probs(net, {torch::randn({1, 128, 2001}), torch::randn({1, 128, 2001})});
    EXPECT_EQ(probs[0].size(0), int64_t(p->output_names().size()));
    EXPECT_EQ(murmur::pipeline::efficientat_window_logits(encoder, torch::randn({1, 1, 128, 2001}), 400, 100).size(1),
              (63 - 13) / 3 + 1);
  }
  auto bad = murmur::pipeline::make_preset("efficientat");
  EXPECT_THROW(murmur::pipeline::with_overrides(*bad, {"robust.response_p=0.3"}), murmur::Error);
  EXPECT_THROW(murmur::pipeline::with_overrides(*bad, {"native.phase_channels=true"}), murmur::Error);
  // Occlusion fills with the recording's mean level, in the given time span only.
  auto stored = torch::randn({1, 128, 300});
  auto o = bad->occluded(stored, {{{0.0, 1.0}}, 0, 0});
  EXPECT_TRUE(torch::allclose(o[0].select(1, 50), torch::full({128}, stored.mean().item<float>())));
  EXPECT_TRUE(torch::equal(o[0].select(1, 150), stored[0].select(1, 150)));
}

}  // namespace
