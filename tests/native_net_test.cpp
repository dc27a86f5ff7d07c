// NativeNet's inference path (BatchNorm folded, oneDNN trunk) gives the module's eval-mode
// answers, and training mode never uses the frozen copy.
#include <gtest/gtest.h>

#include "model/native_net.h"
#include "pipeline/native.h"
#include "pipeline/model.h"
#include "pipeline/registry.h"

namespace murmur::model {
namespace {

// A net with BatchNorm statistics that are not the identity, so that folding is exercised.
NativeNet net_with_statistics() {
  torch::manual_seed(3);
  NativeNet net(NativeNetConfig{});
  torch::NoGradGuard no_grad;
  for (auto& b : net->named_buffers())
    if (b.key().find("running_mean") != std::string::npos) b.value().normal_(0, 0.5);
    else if (b.key().find("running_var") != std::string::npos) b.value().uniform_(0.5, 2.0);
  for (auto& p : net->named_parameters())
    if (p.key().find(".1.weight") != std::string::npos) p.value().uniform_(0.5, 1.5);
  return net;
}

TEST(NativeNet, FrozenInferenceMatchesEvalForward) {
  NativeNet net = net_with_statistics();
  net->eval();
  torch::NoGradGuard no_grad;
  // Recording lengths from a 1 s clip to a 20 s recording, odd frame counts included.
  for (int64_t frames : {31, 94, 157, 626}) {
    const torch::Tensor x = torch::randn({1, 1, 32, frames});
    const torch::Tensor expected = net->window_logits(x, 125, 62);
    net->freeze_for_inference();
    const torch::Tensor got = net->window_logits(x, 125, 62);
    ASSERT_EQ(got.sizes(), expected.sizes()) << frames << " frames";
    EXPECT_LT((got - expected).abs().max().item<double>(), 1e-4 * (1 + expected.abs().max().item<double>()))
        << frames << " frames";
    net->train();  // drops the frozen copy
    net->eval();
  }
}

TEST(NativeNet, TrainingNeverUsesTheFrozenCopy) {
  NativeNet net = net_with_statistics();
  net->freeze_for_inference();
  const torch::Tensor x = torch::randn({2, 1, 32, 64});
  torch::Tensor frozen;
  {
    torch::NoGradGuard no_grad;
    frozen = net->forward(x);
  }
  {
    torch::NoGradGuard no_grad;  // a weight change after freezing is seen once training resumes
    net->named_parameters()["head.bias"].add_(1.0);
    for (auto& p : net->named_parameters())
      if (p.key().find("trunk.0.weight") == 0) p.value().mul_(2.0);
  }
  net->train();
  net->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor module = net->forward(x);
  EXPECT_GT((module - frozen).abs().max().item<double>(), 1e-3);
  net->freeze_for_inference();
  EXPECT_LT((net->forward(x) - module).abs().max().item<double>(), 1e-4 * (1 + module.abs().max().item<double>()));
}

// The preset's inference network (what predict, stream and serve run) answers as the module does.
TEST(NativeNet, PresetInferenceNetworkMatchesTheModule) {
  auto preset = std::make_shared<pipeline::NativePreset>();
  pipeline::Model m = pipeline::Model::fresh(preset);
  const torch::Tensor stored = torch::randn({1, 32, 626});
  const torch::Tensor expected = m.recording_probs(stored);
  m.net = preset->for_inference(m.net);
  EXPECT_LT((m.recording_probs(stored) - expected).abs().max().item<double>(), 1e-5);
}

// A batch (serve's micro-batching) answers as its recordings one by one: recordings of several
// lengths, each length twice, through the inference network; native (softmax) and valves (sigmoid).
TEST(NativeNet, BatchProbabilitiesEqualOneByOne) {
  for (const char* name : {"native", "valves"}) {
    pipeline::PresetPtr preset = pipeline::make_preset(name);
    torch::manual_seed(5);
    pipeline::Model m = pipeline::Model::fresh(preset);
    m.net = preset->for_inference(m.net);
    std::vector<torch::Tensor> stored;
    for (int64_t frames : {626, 31, 157, 626, 31, 94})
      stored.push_back(torch::randn({1, 32, frames}));
    const auto batch = m.batch_probs(stored);
    ASSERT_EQ(batch.size(), stored.size()) << name;
    for (size_t i = 0; i < stored.size(); ++i) {
      const torch::Tensor alone = m.recording_probs(stored[i]);
      ASSERT_EQ(batch[i].sizes(), alone.sizes()) << name << " item " << i;
      EXPECT_LT((batch[i] - alone).abs().max().item<double>(), 1e-5) << name << " item " << i;
    }
    EXPECT_FALSE(torch::equal(batch[0], batch[3])) << name << ": equal shapes, different recordings";
  }
}

// With native.phase_channels the network takes [B, 3, F, T], frozen or not, and says what it
// expected when given the other layout.
TEST(NativeNet, TakesThePhaseChannelsWhenThePresetAddsThem) {
  auto preset = std::make_shared<pipeline::NativePreset>();
  preset->native.phase_channels = true;
  pipeline::Model m = pipeline::Model::fresh(preset);
  const torch::Tensor stored = torch::randn({3, 32, 626});
  const torch::Tensor expected = m.recording_probs(stored);
  ASSERT_EQ(expected.numel(), 5);
  m.net = preset->for_inference(m.net);
  EXPECT_LT((m.recording_probs(stored) - expected).abs().max().item<double>(), 1e-5);
  try {
    m.recording_probs(torch::randn({1, 32, 626}));
    ADD_FAILURE() << "a one-channel input was accepted by a three-channel network";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("expected input [B, 3, n_mels, frames]"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("with 1 channels"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace murmur::model
