// SeedCnn's architecture against the reference's SeedCNN: parameter count, state-dict keys (which
// must be PyTorch's, or the reference checkpoint will not load), shapes and modes.
#include "model/seed_cnn.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "model/checkpoint.h"
#include "util/error.h"

namespace murmur::model {
namespace {

// The reference SeedCNN's state_dict() keys, in order.
std::vector<std::string> reference_keys() {
  std::vector<std::string> keys;
  for (int block = 0; block < 4; ++block) {
    const std::string conv = "features." + std::to_string(5 * block) + ".";
    const std::string bn = "features." + std::to_string(5 * block + 1) + ".";
    for (const char* k : {"weight", "bias"}) keys.push_back(conv + k);
    for (const char* k : {"weight", "bias", "running_mean", "running_var", "num_batches_tracked"}) keys.push_back(bn + k);
  }
  for (int layer : {1, 4, 7})
    for (const char* k : {"weight", "bias"}) keys.push_back("classifier." + std::to_string(layer) + "." + k);
  return keys;
}

TEST(SeedCnn, ParameterCountMatchesReference) {
  SeedCnn model;
  int64_t n = 0;
  for (const auto& p : model->parameters()) n += p.numel();
  EXPECT_EQ(n, 430853);
}

TEST(SeedCnn, StateDictKeysArePyTorchs) {
  SeedCnn model;
  EXPECT_EQ(state_dict(*model).keys(), reference_keys());
  EXPECT_EQ(state_dict(*model)["features.1.num_batches_tracked"].dtype(), torch::kLong);
  EXPECT_EQ(state_dict(*model)["classifier.7.weight"].sizes(), torch::IntArrayRef({5, 64}));
}

TEST(SeedCnn, ShapesAndSmallestInput) {
  torch::manual_seed(0);
  SeedCnn model(/*n_classes=*/3);
  model->eval();
  torch::NoGradGuard no_grad;
  EXPECT_EQ(model->forward(torch::randn({2, 3, 64, 48})).sizes(), torch::IntArrayRef({2, 3}));
  // Four 2x poolings: 16 pixels is the smallest side that leaves one; 15 is rejected.
  EXPECT_EQ(model->forward(torch::randn({1, 3, 16, 16})).sizes(), torch::IntArrayRef({1, 3}));
  EXPECT_THROW(model->forward(torch::randn({1, 3, 15, 16})), Error);
  EXPECT_THROW(model->forward(torch::randn({1, 1, 32, 32})), Error);
  EXPECT_THROW(SeedCnn(1), Error);
}

TEST(SeedCnn, EvalIsDeterministicTrainUsesDropout) {
  torch::manual_seed(0);
  SeedCnn model;
  const torch::Tensor x = torch::randn({4, 3, 32, 32});
  torch::NoGradGuard no_grad;
  model->eval();
  EXPECT_TRUE(torch::equal(model->forward(x), model->forward(x)));
  model->train();
  EXPECT_FALSE(torch::equal(model->forward(x), model->forward(x)));
}

// BatchNorm folded into the convolutions: the eval-mode logits, with non-trivial statistics.
TEST(SeedCnn, FoldedNetworkMatchesEvalForward) {
  torch::manual_seed(1);
  SeedCnn model;
  {
    torch::NoGradGuard no_grad;
    for (auto& b : model->named_buffers())
      if (b.key().find("running_mean") != std::string::npos) b.value().normal_(0, 0.5);
      else if (b.key().find("running_var") != std::string::npos) b.value().uniform_(0.5, 2.0);
    for (auto& p : model->named_parameters())
      if (p.key().find("features.1.") == 0 || p.key().find("features.6.") == 0) p.value().uniform_(0.5, 1.5);
  }
  model->eval();
  const torch::Tensor x = torch::randn({3, 3, 64, 48});
  torch::Tensor expected;
  {
    torch::NoGradGuard no_grad;
    expected = model->forward(x);
  }
  FoldedSeedCnn folded(*model);
  auto got = folded.forward(x);
  EXPECT_LT((got - expected).abs().max().item<double>(), 1e-4 * (1 + expected.abs().max().item<double>()));
  EXPECT_THROW(folded.forward(torch::zeros({1, 3, 8, 8})), murmur::Error);
}

}  // namespace
}  // namespace murmur::model
