// Paired comparison of two runs: identical runs, a clearly better run, and mismatched runs.
#include "eval/compare.h"

#include <gtest/gtest.h>

#include <cmath>

#include "util/error.h"

namespace me = murmur::eval;

namespace {

const std::vector<std::string> kClasses = {"AR", "AS", "MR", "MS", "N"};

std::vector<float> probs_for(int pred, float top = 0.6f) {
  std::vector<float> p(5, (1 - top) / 4);
  p[pred] = top;
  return p;
}

// n_patients x 4 recordings; patient p is right iff right(p).
template <class Right>
me::Predictions run(int n_patients, Right right) {
  me::Predictions rows;
  for (int p = 0; p < n_patients; ++p)
    for (int r = 0; r < 4; ++r) {
      me::Prediction x;
      x.patient = "patient_" + std::to_string(p);
      x.file = x.patient + "_rec" + std::to_string(r);
      x.site = r < 2 ? "Aor" : "Mit", x.position = r % 2 ? "sit" : "sup";
      x.fold = p % 5, x.true_class = p % 5;
      x.probs = probs_for(right(p) ? x.true_class : (x.true_class + 1) % 5);
      rows.push_back(x);
    }
  return rows;
}

}  // namespace

TEST(Compare, McNemarByHand) {
  // Exact: n01 = 1, n10 = 9: 2 * (C(10,0) + C(10,1)) / 2^10 = 22 / 1024.
  auto e = me::mcnemar(1, 9);
  EXPECT_EQ(e.method, "exact");
  EXPECT_NEAR(e.p_value, 22.0 / 1024, 1e-12);
  EXPECT_DOUBLE_EQ(me::mcnemar(5, 5).p_value, 1.0);
  // Chi-square with continuity correction: (|0 - 30| - 1)^2 / 30 = 28.033; P(chi2_1 > 28.033) = 1.19e-7.
  auto c = me::mcnemar(0, 30);
  EXPECT_EQ(c.method, "chi2_cc");
  EXPECT_NEAR(c.statistic, 29.0 * 29.0 / 30, 1e-12);
  EXPECT_NEAR(c.p_value, 1.193e-7, 0.01e-7);
  // (|12 - 20| - 1)^2 / 32 = 1.53125 -> p = 0.21592 (scipy.stats.chi2.sf(1.53125, 1)).
  EXPECT_NEAR(me::mcnemar(12, 20).p_value, 0.21592, 1e-4);
  auto none = me::mcnemar(0, 0);
  EXPECT_EQ(none.method, "none");
  EXPECT_DOUBLE_EQ(none.p_value, 1.0);
}

TEST(Compare, IdenticalRunsDifferZeroWithPOne) {
  auto a = run(50, [](int p) { return p % 3 != 0; });
  me::CompareConfig cfg;
  cfg.bootstrap.n_resamples = 300;
  auto c = me::compare_runs(a, a, kClasses, cfg);
  EXPECT_EQ(c["schema"], "murmur.eval.compare/1");
  EXPECT_EQ(c["n_patients"], 50);
  EXPECT_TRUE(c["same_folds"].get<bool>());
  EXPECT_DOUBLE_EQ(c["paired_bootstrap"]["difference"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(c["paired_bootstrap"]["ci_low"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(c["paired_bootstrap"]["ci_high"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(c["paired_bootstrap"]["p_value"].get<double>(), 1.0);
  EXPECT_EQ(c["mcnemar"]["only_a_right"], 0);
  EXPECT_EQ(c["mcnemar"]["only_b_right"], 0);
  EXPECT_DOUBLE_EQ(c["mcnemar"]["p_value"].get<double>(), 1.0);
  EXPECT_EQ(c["a"].dump(), c["b"].dump());
}

TEST(Compare, StrictlyBetterRunHasSmallP) {
  // A is wrong on every third patient (20 of 60); B is right on all of them.
  auto a = run(60, [](int p) { return p % 3 != 0; });
  auto b = run(60, [](int) { return true; });
  me::CompareConfig cfg;
  cfg.label_a = "baseline", cfg.label_b = "new";
  cfg.bootstrap.n_resamples = 500;
  auto c = me::compare_runs(a, b, kClasses, cfg);
  EXPECT_DOUBLE_EQ(c["paired_bootstrap"]["b"].get<double>(), 1.0);
  EXPECT_NEAR(c["paired_bootstrap"]["difference"].get<double>(), 20.0 / 60, 1e-9);
  EXPECT_GT(c["paired_bootstrap"]["ci_low"].get<double>(), 0.1);
  EXPECT_LT(c["paired_bootstrap"]["p_value"].get<double>(), 0.01);
  EXPECT_EQ(c["mcnemar"]["only_b_right"], 20);
  EXPECT_EQ(c["mcnemar"]["only_a_right"], 0);
  EXPECT_EQ(c["mcnemar"]["method"], "exact");  // 20 < 25 discordant pairs
  EXPECT_NEAR(c["mcnemar"]["p_value"].get<double>(), 2.0 / std::pow(2.0, 20), 1e-12);
  // Swapping the runs flips the sign, not the p-value.
  auto s = me::compare_runs(b, a, kClasses, cfg);
  EXPECT_NEAR(s["paired_bootstrap"]["difference"].get<double>(), -20.0 / 60, 1e-9);
  EXPECT_LT(s["paired_bootstrap"]["p_value"].get<double>(), 0.01);
  std::string text = me::format_comparison(c);
  EXPECT_NE(text.find("new - baseline"), std::string::npos) << text;
  EXPECT_NE(text.find("McNemar (exact)"), std::string::npos) << text;
}

TEST(Compare, SmallRandomDifferenceIsNotSignificant) {
  // B fixes 2 patients and breaks 1: nowhere near significant.
  auto a = run(60, [](int p) { return p % 3 != 0; });
  auto b = run(60, [](int p) { return p == 0 || p == 3 || (p % 3 != 0 && p != 1); });
  me::CompareConfig cfg;
  cfg.bootstrap.n_resamples = 500;
  auto c = me::compare_runs(a, b, kClasses, cfg);
  EXPECT_GT(c["paired_bootstrap"]["p_value"].get<double>(), 0.3);
  EXPECT_LT(c["paired_bootstrap"]["ci_low"].get<double>(), 0.0);
  EXPECT_GT(c["paired_bootstrap"]["ci_high"].get<double>(), 0.0);
  EXPECT_NEAR(c["mcnemar"]["p_value"].get<double>(), 1.0, 1e-12);  // 2 vs 1: 2 * 4/8 -> 1
}

TEST(Compare, RunsOnDifferentPatientsAreRejected) {
  auto a = run(20, [](int) { return true; });
  auto b = run(21, [](int) { return true; });
  try {
    me::compare_runs(a, b, kClasses);
    FAIL() << "expected murmur::Error";
  } catch (const murmur::Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("do not cover the same patients"), std::string::npos) << msg;
    EXPECT_NE(msg.find("patient_20"), std::string::npos) << msg;
  }
  auto c = run(20, [](int) { return true; });
  for (auto& r : c)
    if (r.patient == "patient_3") r.true_class = 0;
  EXPECT_THROW(me::compare_runs(a, c, kClasses), murmur::Error);
  // Same patients, different folds: allowed and reported.
  auto d = a;
  for (auto& r : d) r.fold = (r.fold + 1) % 5;
  me::CompareConfig cfg;
  cfg.bootstrap.n_resamples = 50;
  EXPECT_FALSE(me::compare_runs(a, d, kClasses, cfg)["same_folds"].get<bool>());
}

// Each run is fused its own way and the comparison says how; settings errors name the key.
TEST(Compare, FusionPerRunAndSettingErrors) {
  auto a = run(20, [](int p) { return p % 3 != 0; });
  me::CompareConfig cfg;
  cfg.bootstrap.n_resamples = 50;
  cfg.fusion_b = me::Fusion::kGeometric;
  auto c = me::compare_runs(a, a, kClasses, cfg);
  EXPECT_EQ(c["fusion_a"], "mean");
  EXPECT_EQ(c["fusion_b"], "geometric");
  cfg.exact_below = -2;
  try {
    me::compare_runs(a, a, kClasses, cfg);
    FAIL() << "expected an error";
  } catch (const murmur::Error& e) {
    EXPECT_STREQ(e.what(), "compare.exact_below: must be >= 0 (got -2)");
  }
  cfg.exact_below = 25, cfg.bootstrap.confidence = 1.5;
  EXPECT_THROW(cfg.validate(), murmur::Error);
}
