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

}  // namespace
}  // namespace murmur::model
