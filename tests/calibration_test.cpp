// Calibration (eval/calibration.h): the temperature that made over-confident probabilities is
// found again, scaling keeps every answer, the ECE of calibrated answers is near zero, and the
// report's "before" undoes each fold's temperature.
#include "eval/calibration.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "util/error.h"

namespace me = murmur::eval;

namespace {

// Labels drawn from softmax(z); the probabilities reported are softmax(z * sharpen): over-confident
// for sharpen > 1, and temperature `sharpen` undoes it exactly.
void draw(int n, double sharpen, uint32_t seed, std::vector<std::vector<float>>& probs, std::vector<int>& labels) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> z(0, 1.2);
  for (int i = 0; i < n; ++i) {
    std::vector<double> logit(5);
    for (auto& v : logit) v = z(rng);
    std::vector<double> p(5), q(5);
    double sp = 0, sq = 0;
    for (int k = 0; k < 5; ++k) sp += p[k] = std::exp(logit[k]), sq += q[k] = std::exp(logit[k] * sharpen);
    std::discrete_distribution<int> pick(p.begin(), p.end());
    labels.push_back(pick(rng));
    std::vector<float> row;
    for (double v : q) row.push_back(float(v / sq));
    probs.push_back(row);
  }
}

}  // namespace

TEST(Calibration, FindsTheTemperatureThatUndoesOverconfidence) {
  std::vector<std::vector<float>> probs;
  std::vector<int> labels;
  draw(6000, 3.0, 1, probs, labels);
  const double t = me::fit_temperature(probs, labels);
  std::cout << "[ measured ] fitted T " << t << " (true 3)\n";
  EXPECT_NEAR(t, 3.0, 0.3);
  EXPECT_DOUBLE_EQ(me::fit_temperature({}, {}), 1.0);
  EXPECT_THROW(me::fit_temperature(probs, {1, 2}), murmur::Error);
  EXPECT_THROW(me::fit_temperature({{0.5f, 0.5f}}, {2}), murmur::Error);
}

TEST(Calibration, ScalingKeepsTheAnswerAndLowersTheError) {
  std::vector<std::vector<float>> probs;
  std::vector<int> labels;
  draw(6000, 3.0, 2, probs, labels);
  me::Predictions rows;
  for (size_t i = 0; i < probs.size(); ++i) {
    me::Prediction r;
    r.file = "r" + std::to_string(i);
    r.patient = "p" + std::to_string(i);  // one recording per patient
    r.true_class = labels[i];
    r.probs = me::apply_temperature(probs[i], 3.0);
    EXPECT_EQ(std::max_element(r.probs.begin(), r.probs.end()) - r.probs.begin(),
              std::max_element(probs[i].begin(), probs[i].end()) - probs[i].begin());
    rows.push_back(r);
  }
  EXPECT_EQ(me::apply_temperature(probs[0], 1.0), probs[0]);
  const std::vector<std::string> names{"AR", "AS", "MR", "MS", "N"};
  const auto c = me::calibration_json(rows, names, me::Fusion::kMean, {{"0/0", 3.0}});
  const double after = c["recording"]["ece"], before = c["uncalibrated"]["recording"]["ece"];
  std::cout << "[ measured ] ECE " << before << " before, " << after << " after\n";
  EXPECT_LT(after, 0.03);
  EXPECT_GT(before, 0.1);
  // "before" is the rows with T undone: the ECE of the raw probabilities.
  std::vector<double> conf;
  std::vector<bool> right;
  for (size_t i = 0; i < probs.size(); ++i) {
    const auto k = size_t(std::max_element(probs[i].begin(), probs[i].end()) - probs[i].begin());
    conf.push_back(probs[i][k]);
    right.push_back(int(k) == labels[i]);
  }
  EXPECT_NEAR(before, me::expected_calibration_error(conf, right), 1e-3);
  // Selective accuracy: answering only the surer ones is more accurate, and answers fewer.
  const auto& sel = c["recording"]["selective"];
  ASSERT_EQ(sel.size(), 6u);
  EXPECT_DOUBLE_EQ(sel[0]["coverage"].get<double>(), 1.0);
  EXPECT_GT(sel[4]["accuracy"].get<double>(), sel[0]["accuracy"].get<double>());
  EXPECT_LT(sel[4]["coverage"].get<double>(), 1.0);
  EXPECT_TRUE(me::calibration_json(rows, {"AR", "AS", "MR", "MS"}, me::Fusion::kMean).is_null()) << "multi-label";
}
