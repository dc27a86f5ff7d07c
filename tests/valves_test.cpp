// The multi-label `valves` preset and what it rests on: iterative stratification of label sets,
// thresholds chosen on validation patients, the multi-label loss, and the findings it answers.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "data/splits.h"
#include "eval/thresholds.h"
#include "pipeline/predictor.h"
#include "pipeline/registry.h"
#include "train/trainer.h"
#include "util/error.h"

using namespace murmur;

namespace {

// 107 patients with label sets like BMD-HS's (labels: AR 0, AS 1, MR 2, MS 3, N 4), 8 recordings each.
std::vector<data::Item> bmdhs_label_sets() {
  const std::vector<std::pair<std::vector<int>, int>> sets = {
      {{4}, 21}, {{0}, 7}, {{1}, 8}, {{2}, 11}, {{3}, 11}, {{0, 1}, 16}, {{2, 3}, 10}, {{0, 1, 2, 3}, 5},
      {{0, 2}, 4}, {{1, 2}, 3}, {{0, 3}, 3}, {{0, 2, 3}, 3}, {{1, 3}, 2}, {{0, 1, 2}, 2}, {{1, 2, 3}, 1}};
  std::vector<data::Item> items;
  int pid = 0;
  for (auto& [labels, n] : sets)
    for (int p = 0; p < n; ++p, ++pid)
      for (int r = 0; r < 8; ++r) items.push_back({"P_" + std::to_string(pid), -1, labels});
  return items;
}

}  // namespace

TEST(Valves, IterativeStratificationSpreadsEveryLabelAndNeverLeaks) {
  auto items = bmdhs_label_sets();
  auto folds = data::stratified_group_kfold(items, 5, 100);  // dispatches on label sets
  ASSERT_EQ(folds.size(), 5u);
  std::map<int, std::set<std::string>> all_per_label;
  for (auto& it : items)
    for (int l : it.labels) all_per_label[l].insert(it.group);
  std::map<std::string, int> fold_of;
  for (int f = 0; f < 5; ++f) {
    EXPECT_NO_THROW(data::check_no_leak(items, folds[size_t(f)]));
    std::map<int, std::set<std::string>> per_label;
    for (int i : folds[size_t(f)].test) {
      auto [it, fresh] = fold_of.emplace(items[size_t(i)].group, f);
      EXPECT_TRUE(fresh || it->second == f);
      for (int l : items[size_t(i)].labels) per_label[l].insert(items[size_t(i)].group);
    }
    // Each label's patients spread to within one of a fifth in every fold.
    for (int l = 0; l < 5; ++l)
      EXPECT_NEAR(double(per_label[l].size()), double(all_per_label[l].size()) / 5.0, 1.01) << "label " << l;
  }
  EXPECT_EQ(fold_of.size(), 107u);
  // Deterministic for a seed, different for another.
  EXPECT_EQ(data::stratified_group_kfold(items, 5, 100)[0].test, folds[0].test);
  EXPECT_NE(data::stratified_group_kfold(items, 5, 101)[0].test, folds[0].test);
}

TEST(Valves, ValidationCarveKeepsEveryLabelOnBothSides) {
  auto items = bmdhs_label_sets();
  auto split = data::stratified_group_kfold(items, 5, 7)[0];
  data::carve_validation(items, split, 0.2, 7);
  EXPECT_NO_THROW(data::check_no_leak(items, split));
  std::set<int> val_labels;
  for (int i : split.val)
    for (int l : items[size_t(i)].labels) val_labels.insert(l);
  EXPECT_EQ(val_labels.size(), 5u);
  items[1].labels = {2};  // a patient whose recordings disagree
  EXPECT_THROW(data::stratified_group_kfold(items, 5, 7), Error);
}

TEST(Valves, ThresholdsMaximiseYoudenOnValidationPatients) {
  // Output 0: positives score 0.3 and 0.4, negatives 0.1 and 0.2 -> any t in (0.2, 0.3): 0.25.
  // Output 1: no positive patient -> the fallback 0.5.
  eval::Predictions val;
  auto row = [&](const std::string& patient, float p0, std::vector<int> labels) {
    eval::Prediction r;
    r.file = patient + "_rec";
    r.patient = patient;
    r.probs = {p0, 0.9f};
    r.true_labels = std::move(labels);
    r.true_class = -1;
    val.push_back(r);
  };
  row("a", 0.1f, {});
  row("b", 0.2f, {});
  row("c", 0.3f, {0});
  row("d", 0.35f, {0});
  row("d", 0.45f, {0});  // patient d: mean 0.4
  auto t = eval::choose_thresholds(val, 2);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_NEAR(t[0], 0.25f, 1e-6);
  EXPECT_FLOAT_EQ(t[1], 0.5f);
}

TEST(Valves, PresetIsMultiLabelAndCarriesItsThresholds) {
  auto p = pipeline::make_preset("valves");
  EXPECT_TRUE(p->multi_label());
  EXPECT_EQ(p->output_names(), (std::vector<std::string>{"AR", "AS", "MR", "MS"}));
  EXPECT_FALSE(pipeline::make_preset("native")->multi_label());
  EXPECT_THROW(pipeline::make_preset("native")->set_thresholds({0.5f}), Error);
  p->set_thresholds({0.2f, 0.3f, 0.4f, 0.6f});
  EXPECT_EQ(p->to_json()["multi_label"], true);  // checkpoints say so
  auto back = pipeline::preset_from_json(p->to_json());
  EXPECT_EQ(back->thresholds(), (std::vector<float>{0.2f, 0.3f, 0.4f, 0.6f}));
  EXPECT_THROW(p->set_thresholds({0.2f, 1.5f, 0.4f, 0.6f}), Error);
  EXPECT_THROW(pipeline::with_overrides(*p, {"net.n_classes=5"}), Error);
  // Same features as the native preset: one cache serves both.
  EXPECT_EQ(p->feature_json(), pipeline::make_preset("native")->feature_json());
  // Four independent probabilities from a fresh network.
  torch::manual_seed(0);
  auto m = pipeline::Model::fresh(std::move(p));
  auto probs = m.recording_probs(torch::randn({1, 32, 300}));
  ASSERT_EQ(probs.numel(), 4);
  EXPECT_GT((probs.sum() - 1).abs().item<float>(), 1e-3);  // not a softmax
}

TEST(Valves, MultiLabelLossLearnsIndependentLabels) {
  // Label 0 is "feature 0 > 0", label 1 "feature 1 > 0": a linear model must learn both.
  torch::manual_seed(1);
  auto x = torch::randn({256, 4});
  auto t = torch::stack({x.select(1, 0).gt(0), x.select(1, 1).gt(0)}, 1).to(torch::kFloat);
  train::Batchable tr{x, torch::full({256}, -1, torch::kLong), t, true};
  auto net = torch::nn::Linear(4, 2);
  train::TrainConfig cfg;
  cfg.epochs = 15;
  cfg.stop_at_val_acc = 1.01;
  cfg.collapse_after_epoch = 0;
  cfg.lr = 0.05;
  auto fit = train::fit(*net, [&](const torch::Tensor& b) { return net->forward(b); }, tr, tr, 2, cfg);
  EXPECT_GT(fit.best_val_acc, 0.9);  // mean balanced accuracy over the two labels
  EXPECT_LT(fit.history.back().train_loss, fit.history.front().train_loss);
  // Positive weights are n_neg / n_pos per label.
  auto w = train::positive_weights(torch::tensor({{1.f, 0.f}, {0.f, 0.f}, {0.f, 1.f}, {0.f, 1.f}}));
  EXPECT_FLOAT_EQ(w[0].item<float>(), 3.f);
  EXPECT_FLOAT_EQ(w[1].item<float>(), 1.f);
}

TEST(Valves, AnswerNamesTheSuspectedDiseases) {
  std::vector<std::string> names{"AR", "AS", "MR", "MS"};
  auto a = pipeline::answer_json(names, std::vector<double>{0.7, 0.6, 0.1, 0.2}, {0.5f, 0.5f, 0.5f, 0.5f});
  EXPECT_EQ(a["class"], "AR+AS");
  EXPECT_EQ(a["verdict"], "AR and AS suspected");
  EXPECT_EQ(a["thresholds"]["MR"], 0.5f);
  auto none = pipeline::answer_json(names, std::vector<double>{0.1, 0.2, 0.3, 0.4}, {0.5f, 0.5f, 0.5f, 0.5f});
  EXPECT_EQ(none["class"], "N");
  EXPECT_EQ(none["verdict"], "no valve disease found");
  EXPECT_FALSE(pipeline::answer_json(names, std::vector<double>{0.1, 0.2, 0.3, 0.4}).contains("verdict"));
}
