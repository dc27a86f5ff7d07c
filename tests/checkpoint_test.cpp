// Checkpoints: the reference's seed_model.pth read without Python and checked against the
// reference's own logits (golden.json), murmur's files round-tripped, strict loading, bad files.
// Checkpoint.WriteForPython feeds tests/checkpoint_check.sh (torch.load of a murmur file).
#include "model/checkpoint.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "features/png.h"
#include "features/seed_image.h"
#include "test_util.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/version.h"

namespace murmur::model {
namespace {

const std::vector<std::string> kLabels = {"AR", "AS", "MR", "MS", "N"};

std::string reference_file(const std::string& name) { return test::shared_dir() + "/reference/" + name; }

nlohmann::json golden() { return nlohmann::json::parse(util::read_file(reference_file("golden.json"))); }

// [2, 5] eval-mode logits of the reference model on random_input.pt, from golden.json.
torch::Tensor golden_random_input_logits() {
  const auto rows = golden()["random_input_logits"].get<std::vector<std::vector<float>>>();
  return torch::stack({torch::tensor(rows.at(0)), torch::tensor(rows.at(1))});
}

torch::Tensor eval_logits(SeedCnn& model, const torch::Tensor& x) {
  model->eval();
  torch::NoGradGuard no_grad;
  return model->forward(x);
}

// A model whose every state-dict entry is non-default, so a round trip that lost any would show.
SeedCnn random_model(uint64_t seed) {
  torch::manual_seed(seed);
  SeedCnn model;
  torch::NoGradGuard no_grad;
  for (auto& item : state_dict(*model)) {
    const std::string& k = item.key();
    torch::Tensor& t = item.value();
    if (k.find("num_batches_tracked") != std::string::npos) t.fill_(1234);
    else if (k.find("running_var") != std::string::npos) t.uniform_(0.5, 2.0);
    else if (k.find("running_mean") != std::string::npos) t.uniform_(-0.5, 0.5);
    else if (k.rfind("features.", 0) == 0 && t.dim() == 1) t.uniform_(-0.5, 1.5);  // batch-norm weight and bias
  }
  return model;
}

Checkpoint murmur_checkpoint(SeedCnn& model) {
  Checkpoint ck;
  ck.state_dict = state_dict(*model);
  ck.val_acc = 63.25;
  for (size_t i = 0; i < kLabels.size(); ++i) ck.label_to_idx[kLabels[i]] = int64_t(i);
  ck.epoch = 17;
  ck.preset = "seed";
  ck.murmur_config = {{"log_mel", {{"n_mels", 30}, {"fmax_hz", 1000.0}}}, {"image_size", 224}};
  ck.provenance = {{"dataset_fingerprint", "0123456789abcdef"}, {"split", "fold 2 of 5"}, {"seed", 42}, {"threads", 2}};
  return ck;
}

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

TEST(Checkpoint, ReadsReferenceSeedModel) {
  MURMUR_REQUIRE_SHARED();
  const Checkpoint ck = read_checkpoint(reference_file("seed_model.pth"));
  SeedCnn model;
  // Same keys in the same order as PyTorch's state_dict(), so strict loading works.
  EXPECT_EQ(ck.state_dict.keys(), state_dict(*model).keys());
  EXPECT_NEAR(ck.val_acc, 71.14093959731544, 1e-12);
  EXPECT_EQ(ck.label_to_idx, (std::map<std::string, int64_t>{{"AR", 0}, {"AS", 1}, {"MR", 2}, {"MS", 3}, {"N", 4}}));
  EXPECT_EQ(ck.class_names, kLabels);
  EXPECT_EQ(ck.epoch, -1);  // the reference did not save one
  EXPECT_TRUE(ck.murmur_config.is_null());
  EXPECT_EQ(ck.state_dict["features.0.weight"].sizes(), torch::IntArrayRef({32, 3, 3, 3}));
  EXPECT_EQ(ck.state_dict["features.1.num_batches_tracked"].dtype(), torch::kLong);
  EXPECT_TRUE(ck.state_dict["features.0.weight"].device().is_cpu());  // saved as "mps"
  EXPECT_NO_THROW(load_into(model, ck.state_dict));
}

TEST(Checkpoint, ReferenceLogitsMatchGolden) {
  MURMUR_REQUIRE_SHARED();
  SeedCnn model;
  load_into(model, read_checkpoint(reference_file("seed_model.pth")).state_dict);
  const torch::Tensor x = read_tensor_file(reference_file("random_input.pt"));
  ASSERT_EQ(x.sizes(), torch::IntArrayRef({2, 3, 224, 224}));
  // torch.manual_seed(0); randn(2, 3, 224, 224): LibTorch's generator gives the same numbers.
  torch::manual_seed(0);
  EXPECT_TRUE(torch::equal(x, torch::randn({2, 3, 224, 224})));
  const double diff = max_abs_diff(eval_logits(model, x), golden_random_input_logits());
  std::cout << "[ measured ] max |logit - golden| on random_input.pt: " << diff << "\n";
  EXPECT_LT(diff, 1e-4);
  // The folded inference network (what predict runs) gives the golden logits too.
  const double folded = max_abs_diff(FoldedSeedCnn(*model).forward(x), golden_random_input_logits());
  std::cout << "[ measured ] folded network: max |logit - golden|: " << folded << "\n";
  EXPECT_LT(folded, 1e-4);
}

// The whole reference inference path on its own pictures: PNG -> image_to_input (features/
// seed_image.h) -> reference weights -> softmax, against golden.json's probabilities.
TEST(Checkpoint, ReferencePngProbsMatchGolden) {
  MURMUR_REQUIRE_SHARED();
  SeedCnn model;
  load_into(model, read_checkpoint(reference_file("seed_model.pth")).state_dict);
  const features::SeedImageConfig cfg;
  double max_prob_diff = 0, max_logit_diff = 0;
  const nlohmann::json images = golden()["images"];
  ASSERT_EQ(images.size(), 5u);
  for (const auto& [name, expected] : images.items()) {
    std::vector<float> x = features::image_to_input(features::read_png(reference_file("seed_spectrograms/" + name)), cfg);
    const torch::Tensor input = torch::from_blob(x.data(), {1, 3, cfg.input_size_px, cfg.input_size_px}).clone();
    const torch::Tensor logits = eval_logits(model, input)[0];
    const torch::Tensor probs = torch::softmax(logits, 0);
    const torch::Tensor golden_probs = torch::tensor(expected["probs"].get<std::vector<float>>());
    const double diff = max_abs_diff(probs, golden_probs);
    EXPECT_LT(diff, 1e-2) << name;
    EXPECT_EQ(probs.argmax().item<int64_t>(), golden_probs.argmax().item<int64_t>()) << name;
    max_prob_diff = std::max(max_prob_diff, diff);
    max_logit_diff = std::max(max_logit_diff,
                              max_abs_diff(logits, torch::tensor(expected["logits"].get<std::vector<float>>())));
  }
  std::cout << "[ measured ] reference PNGs: max |prob - golden| " << max_prob_diff << ", max |logit - golden| "
            << max_logit_diff << "\n";
}

TEST(Checkpoint, RoundTripKeepsEverything) {
  SeedCnn model = random_model(7);
  const Checkpoint ck = murmur_checkpoint(model);
  const std::string path = test::temp_dir("checkpoint_round_trip") + "/run/model.pth";  // parent made
  write_checkpoint(path, ck);
  const Checkpoint back = read_checkpoint(path);

  ASSERT_EQ(back.state_dict.keys(), ck.state_dict.keys());
  for (const auto& item : ck.state_dict) {
    const torch::Tensor& t = back.state_dict[item.key()];
    EXPECT_EQ(t.dtype(), item.value().dtype()) << item.key();
    EXPECT_TRUE(torch::equal(t, item.value())) << item.key();
  }
  EXPECT_EQ(back.val_acc, ck.val_acc);
  EXPECT_EQ(back.label_to_idx, ck.label_to_idx);
  EXPECT_EQ(back.epoch, 17);
  EXPECT_EQ(back.preset, "seed");
  EXPECT_EQ(back.murmur_config, ck.murmur_config);
  EXPECT_EQ(back.class_names, kLabels);  // derived from label_to_idx when the caller left it empty
  EXPECT_EQ(back.provenance["split"], "fold 2 of 5");
  EXPECT_EQ(back.provenance["seed"], 42);
  EXPECT_EQ(back.provenance["murmur_version"], MURMUR_VERSION);
  EXPECT_EQ(back.provenance["murmur_commit"], murmur::util::git_commit());

  SeedCnn loaded;
  load_into(loaded, back.state_dict, path);
  torch::manual_seed(1);
  const torch::Tensor x = torch::randn({3, 3, 64, 64});
  const double diff = max_abs_diff(eval_logits(loaded, x), eval_logits(model, x));
  std::cout << "[ measured ] max |logit difference| after write -> read: " << diff << "\n";
  EXPECT_EQ(diff, 0.0);
}

// An ensemble in one file (murmur train --split all): each member's weights come back as written;
// a file claiming an absurd number of members is refused by name.
TEST(Checkpoint, EnsembleMembersInOneFile) {
  SeedCnn a = random_model(1), b = random_model(2);
  Checkpoint ck = murmur_checkpoint(a);
  ck.state_dict = StateDict();
  add_member_state(ck.state_dict, state_dict(*a), 0);
  add_member_state(ck.state_dict, state_dict(*b), 1);
  ck.n_members = 2;
  const std::string dir = test::temp_dir("checkpoint_members");
  write_checkpoint(dir + "/two.pth", ck);
  const Checkpoint back = read_checkpoint(dir + "/two.pth");
  ASSERT_EQ(back.n_members, 2);
  SeedCnn a2, b2;
  load_into(a2, member_state(back.state_dict, 0), "member 0");
  load_into(b2, member_state(back.state_dict, 1), "member 1");
  torch::manual_seed(1);
  const torch::Tensor x = torch::randn({2, 3, 64, 64});
  EXPECT_EQ(max_abs_diff(eval_logits(a2, x), eval_logits(a, x)), 0.0);
  EXPECT_EQ(max_abs_diff(eval_logits(b2, x), eval_logits(b, x)), 0.0);
  EXPECT_GT(max_abs_diff(eval_logits(b2, x), eval_logits(a, x)), 0.0);
  EXPECT_EQ(read_checkpoint(dir + "/two.pth").state_dict.size(), 2 * state_dict(*a).size());
  EXPECT_EQ(murmur_checkpoint(a).n_members, 1);
  ck.n_members = 1000;
  write_checkpoint(dir + "/many.pth", ck);
  try {
    read_checkpoint(dir + "/many.pth");
    ADD_FAILURE() << "1000 members were accepted";
  } catch (const murmur::Error& e) {
    EXPECT_NE(std::string(e.what()).find("many.pth: n_members must be 1-64"), std::string::npos) << e.what();
  }
}

TEST(Checkpoint, ReferenceRewrittenByMurmurGivesGoldenLogits) {
  MURMUR_REQUIRE_SHARED();
  Checkpoint ck = read_checkpoint(reference_file("seed_model.pth"));
  const std::string path = test::temp_dir("checkpoint_rewrite") + "/seed.pth";
  write_checkpoint(path, ck);
  SeedCnn model;
  load_into(model, read_checkpoint(path).state_dict);
  const torch::Tensor logits = eval_logits(model, read_tensor_file(reference_file("random_input.pt")));
  const double diff = max_abs_diff(logits, golden_random_input_logits());
  EXPECT_LT(diff, 1e-4);
}

TEST(Checkpoint, StrictLoadingNamesEveryProblem) {
  SeedCnn model;
  StateDict sd = state_dict(*model);
  StateDict broken;
  for (const auto& item : sd)
    if (item.key() != "classifier.7.bias" && item.key() != "features.1.running_var") broken.insert(item.key(), item.value());
  broken.insert("fc.weight", torch::zeros({5, 64}));
  try {
    load_into(model, broken, "x.pth");
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "x.pth: state dict does not match the model: missing keys [features.1.running_var, "
                 "classifier.7.bias]; unexpected keys [fc.weight]");
  }
  StateDict wrong_shape;
  for (const auto& item : sd)
    wrong_shape.insert(item.key(), item.key() == "classifier.7.weight" ? torch::zeros({4, 64}) : item.value());
  try {
    load_into(model, wrong_shape, "x.pth");
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "x.pth: classifier.7.weight: shape [4, 64] in the state dict, [5, 64] in the model");
  }
}

TEST(Checkpoint, RejectsBadFilesNamingThem) {
  const std::string dir = test::temp_dir("checkpoint_bad");
  util::write_file_atomic(dir + "/text.pth", "not a zip");
  try {
    read_checkpoint(dir + "/text.pth");
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind(dir + "/text.pth: not a readable PyTorch zip checkpoint", 0), 0u) << e.what();
  }
  EXPECT_THROW(read_checkpoint(dir + "/missing.pth"), Error);

  // A tensor file is not a checkpoint, and a checkpoint is not a tensor file.
  write_tensor_file(dir + "/t.pt", torch::ones({2}));
  try {
    read_checkpoint(dir + "/t.pt");
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), dir + "/t.pt: pickle: expected dict, got tensor");
  }
  SeedCnn model;
  Checkpoint ck = murmur_checkpoint(model);
  write_checkpoint(dir + "/ok.pth", ck);
  EXPECT_THROW(read_tensor_file(dir + "/ok.pth"), Error);

  // class_names must agree with label_to_idx; nothing is written when they do not.
  ck.class_names = {"AS", "AR", "MR", "MS", "N"};
  EXPECT_THROW(write_checkpoint(dir + "/swapped.pth", ck), Error);
  EXPECT_FALSE(std::filesystem::exists(dir + "/swapped.pth"));
  ck.class_names = kLabels;
  EXPECT_NO_THROW(write_checkpoint(dir + "/swapped.pth", ck));
}

TEST(Checkpoint, TensorFileRoundTrip) {
  const std::string path = test::temp_dir("checkpoint_tensor") + "/x.pt";
  const torch::Tensor t = torch::arange(24, torch::kDouble).reshape({2, 3, 4}).transpose(1, 2);  // non-contiguous
  write_tensor_file(path, t);
  const torch::Tensor back = read_tensor_file(path);
  EXPECT_EQ(back.dtype(), torch::kDouble);
  EXPECT_TRUE(torch::equal(back, t));
}

TEST(Checkpoint, ClassNamesJsonLikeReference) {
  const std::string path = test::temp_dir("checkpoint_names") + "/class_names.json";
  write_class_names_json(path, kLabels);
  const auto j = nlohmann::json::parse(util::read_file(path));
  EXPECT_EQ(j, (nlohmann::json{{"0", "AR"}, {"1", "AS"}, {"2", "MR"}, {"3", "MS"}, {"4", "N"}}));
  EXPECT_EQ(util::read_file(path).find("\"0\""), util::read_file(path).find('"'));  // index order
}

// Run by tests/checkpoint_check.sh with MURMUR_CHECKPOINT_OUT_DIR set: writes a murmur checkpoint,
// an input tensor and murmur's logits for tools/check_checkpoint.py to compare with PyTorch.
TEST(Checkpoint, WriteForPython) {
  const char* out = std::getenv("MURMUR_CHECKPOINT_OUT_DIR");
  if (!out || !*out) GTEST_SKIP() << "MURMUR_CHECKPOINT_OUT_DIR is unset: only tests/checkpoint_check.sh runs this";
  const std::string dir = out;
  SeedCnn model = random_model(3);
  write_checkpoint(dir + "/checkpoint.pth", murmur_checkpoint(model));
  torch::manual_seed(5);
  const torch::Tensor x = torch::randn({2, 3, 96, 96});
  write_tensor_file(dir + "/input.pt", x);
  const torch::Tensor logits = eval_logits(model, x).to(torch::kDouble).contiguous();
  nlohmann::json expected = {{"input", "input.pt"}, {"checkpoint", "checkpoint.pth"}, {"epoch", 17},
                             {"preset", "seed"}, {"class_names", kLabels}};
  for (int64_t i = 0; i < logits.size(0); ++i) {
    const torch::Tensor row = logits[i];
    expected["logits"].push_back(std::vector<double>(row.data_ptr<double>(), row.data_ptr<double>() + row.numel()));
  }
  util::write_file_atomic(dir + "/expected.json", expected.dump(1));
}

}  // namespace
}  // namespace murmur::model
