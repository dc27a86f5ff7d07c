// Paired comparison of two runs: identical runs, a clearly better run, and mismatched runs.
#include "eval/compare.h"
#include "eval/stats.h"

#include <gtest/gtest.h>

#include <algorithm>
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

// Runs on partly different patients are compared on the patients they share, and say how many.
TEST(Compare, RunsOnPartlySharedPatients) {
  auto a = run(20, [](int) { return true; });
  auto b = run(23, [](int p) { return p % 4 != 0; });
  for (auto& r : b)  // patient_0 is not in b: 19 shared, 1 only in a, 4 only in b
    if (r.patient == "patient_0") r.patient = "patient_x";
  me::CompareConfig cfg;
  cfg.bootstrap.n_resamples = 100;
  auto c = me::compare_runs(a, b, kClasses, cfg);
  EXPECT_EQ(c["shared_patients"], 19);
  EXPECT_EQ(c["n_patients"], 19);
  EXPECT_EQ(c["patients_only_in_a"], 1);
  EXPECT_EQ(c["patients_only_in_b"], 4);
  // On the 19 shared patients, b is wrong on 4, 8, 12, 16 (patient_0 left out).
  EXPECT_EQ(c["mcnemar"]["only_a_right"], 4);
  EXPECT_EQ(c["mcnemar"]["only_b_right"], 0);
  EXPECT_EQ(c["mcnemar"]["both_right"], 15);
  std::string text = me::format_comparison(c);
  EXPECT_NE(text.find("Compared on the 19 patients both runs hold (left out: 1 only in A, 4 only in B)"),
            std::string::npos) << text;
  // Nothing shared, or a shared patient with another true class: errors.
  auto d = a;
  for (auto& r : d) r.patient += "_other";
  try {
    me::compare_runs(a, d, kClasses);
    FAIL() << "expected murmur::Error";
  } catch (const murmur::Error& e) {
    EXPECT_NE(std::string(e.what()).find("share no patient"), std::string::npos) << e.what();
  }
  auto e = run(20, [](int) { return true; });
  for (auto& r : e)
    if (r.patient == "patient_3") r.true_class = 0;
  EXPECT_THROW(me::compare_runs(a, e, kClasses), murmur::Error);
  // Same patients, different folds: allowed and reported; the corrected t-test is not applicable.
  auto f = a;
  for (auto& r : f) r.fold = (r.fold + 1) % 5;
  auto g = me::compare_runs(a, f, kClasses, cfg);
  EXPECT_FALSE(g["same_folds"].get<bool>());
  EXPECT_FALSE(g["corrected_t"]["applicable"].get<bool>());
  EXPECT_NE(g["corrected_t"]["reason"].get<std::string>().find("different fold"), std::string::npos);
  EXPECT_TRUE(g["corrected_t"]["p_value"].is_null());
}

// Values from mpmath.betainc (= scipy.stats.t.sf * 2).
TEST(Compare, StudentTAndIncompleteBeta) {
  EXPECT_NEAR(me::student_t_two_sided_p(2.0, 4), 0.1161165235168156, 1e-10);
  EXPECT_NEAR(me::student_t_two_sided_p(-2.0, 10), 0.0733880347707404, 1e-10);
  EXPECT_NEAR(me::student_t_two_sided_p(1.0, 1), 0.5, 1e-12);
  EXPECT_NEAR(me::student_t_two_sided_p(30.0, 3), 8.13528042716396e-5, 1e-12);
  EXPECT_NEAR(me::student_t_two_sided_p(0.5, 120), 0.6179907243384017, 1e-10);
  EXPECT_DOUBLE_EQ(me::student_t_two_sided_p(0.0, 7), 1.0);
  EXPECT_NEAR(me::student_t_cdf(-1.0, 1), 0.25, 1e-12);
  EXPECT_NEAR(me::student_t_cdf(2.0, 4), 1 - 0.1161165235168156 / 2, 1e-10);
  EXPECT_NEAR(me::regularized_incomplete_beta(2, 3, 0.5), 11.0 / 16, 1e-12);
  EXPECT_NEAR(me::regularized_incomplete_beta(2.5, 1.5, 0.3), 0.0889437231706656, 1e-10);
  EXPECT_THROW(me::regularized_incomplete_beta(0, 1, 0.5), murmur::Error);
}

TEST(Compare, CorrectedResampledTTestByHand) {
  // d = .1 .2 0 .1 .1: mean .1, s^2 = .005, 5 folds -> ratio 1/4; t = .1 / sqrt((1/5 + 1/4) .005).
  auto t = me::corrected_resampled_t_test({0.1, 0.2, 0.0, 0.1, 0.1}, 0.25);
  ASSERT_TRUE(t.applicable);
  EXPECT_NEAR(t.mean_difference, 0.1, 1e-12);
  EXPECT_NEAR(t.t, 0.1 / std::sqrt(0.45 * 0.005), 1e-9);
  EXPECT_EQ(t.df, 4);
  EXPECT_NEAR(t.p_value, 0.1027004274955119, 1e-6);
  auto zero = me::corrected_resampled_t_test({0, 0, 0}, 0.25);
  EXPECT_DOUBLE_EQ(zero.p_value, 1.0);
  EXPECT_FALSE(me::corrected_resampled_t_test({0.3}, 0.25).applicable);
  // The uncorrected t-test would be t = .1 / sqrt(.005 / 5) = 3.16 (p = .034): the correction
  // for overlapping training sets is what keeps it honest.
  EXPECT_LT(t.t, 0.1 / std::sqrt(0.005 / 5));
}

// compare_runs over repeats x folds: identical runs p = 1; a run that is better in every fold
// comes out with the corrected t-test's difference, t and df.
TEST(Compare, CorrectedTInComparison) {
  auto a = run(50, [](int p) { return p % 3 != 0; });
  me::CompareConfig cfg;
  cfg.bootstrap.n_resamples = 50;
  auto same = me::compare_runs(a, a, kClasses, cfg);
  ASSERT_TRUE(same["corrected_t"]["applicable"].get<bool>());
  EXPECT_EQ(same["corrected_t"]["n_pairs"], 5);
  EXPECT_EQ(same["corrected_t"]["df"], 4);
  EXPECT_DOUBLE_EQ(same["corrected_t"]["p_value"].get<double>(), 1.0);
  auto b = run(50, [](int p) { return p % 3 != 0 || p % 2 == 0; });
  auto c = me::compare_runs(a, b, kClasses, cfg);
  const auto& t = c["corrected_t"];
  ASSERT_TRUE(t["applicable"].get<bool>());
  EXPECT_GT(t["mean_difference"].get<double>(), 0.0);
  EXPECT_EQ(t["metric"], "patient balanced_accuracy");
  EXPECT_TRUE(c.contains("corrected_t_macro_auroc"));
  std::string text = me::format_comparison(c);
  EXPECT_NE(text.find("Corrected resampled t-test"), std::string::npos) << text;
  EXPECT_NE(text.find("treat each model as fixed"), std::string::npos) << text;
}

// A multi-label run against a 5-class run: on the single-label patients they share.
TEST(Compare, MultiLabelAgainstFiveClassOnSharedSingleLabelPatients) {
  auto five = run(20, [](int p) { return p % 2 == 0; });  // true class p % 5 (AR AS MR MS N)
  const std::vector<std::string> labels = {"MS", "MR", "AS", "AR"};  // any order
  me::Predictions ml;
  for (int p = 0; p < 24; ++p)
    for (int r = 0; r < 2; ++r) {
      me::Prediction x;
      x.patient = "patient_" + std::to_string(p), x.file = x.patient + "_ml" + std::to_string(r);
      x.fold = p % 5, x.true_class = -1;
      int cls = p % 5;  // kClassNames index; 4 = N
      if (cls < 4) x.true_labels = {3 - cls};   // AR -> 3, AS -> 2, MR -> 1, MS -> 0 in `labels`
      if (p >= 20) x.true_labels = {0, 1};      // 4 MD patients: not in the 5-class view
      x.probs = {0.1f, 0.1f, 0.1f, 0.1f};
      for (int l : x.true_labels) x.probs[l] = 0.9f;  // always right
      x.thresholds = {0.5f, 0.5f, 0.5f, 0.5f};
      ml.push_back(x);
    }
  me::CompareConfig cfg;
  cfg.bootstrap.n_resamples = 50;
  auto c = me::compare_runs(five, kClasses, ml, labels, cfg);
  EXPECT_EQ(c["shared_patients"], 20);
  EXPECT_EQ(c["patients_only_in_b"], 0);  // MD patients never enter the 5-class comparison
  EXPECT_TRUE(c["multi_label"]["b"].get<bool>());
  EXPECT_DOUBLE_EQ(c["b"]["patient"]["accuracy"]["value"].get<double>(), 1.0);
  EXPECT_EQ(c["mcnemar"]["only_b_right"], 10);
  EXPECT_EQ(c["mcnemar"]["only_a_right"], 0);
  // Two multi-label runs: also multi-label macro AUROC over all shared patients, MD included.
  auto ml2 = ml;  // the same run written with the labels in kClassNames order
  for (auto& x : ml2) {
    std::reverse(x.probs.begin(), x.probs.end());
    for (int& l : x.true_labels) l = 3 - l;
    std::sort(x.true_labels.begin(), x.true_labels.end());
  }
  auto mm = me::compare_runs(ml, labels, ml2, {"AR", "AS", "MR", "MS"}, cfg);
  EXPECT_DOUBLE_EQ(mm["corrected_t_macro_auroc"]["p_value"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(mm["paired_bootstrap"]["difference"].get<double>(), 0.0);
  EXPECT_EQ(mm["corrected_t_macro_auroc"]["metric"], "patient multi-label macro_auroc");
  EXPECT_EQ(mm["corrected_t_macro_auroc"]["shared_patients"], 24);
  // Against a pooled run (two more outputs, here always wrong): scored on the four diseases alone.
  auto pooled = ml2;
  for (auto& x : pooled) {
    x.probs.insert(x.probs.begin() + 1, 0.99f);  // "abnormal" between AR and AS
    x.probs.push_back(0.01f);                    // "murmur"
    x.thresholds = std::vector<float>(6, 0.5f);
    for (int& l : x.true_labels) l = l == 0 ? 0 : l + 1;
    x.true_labels.push_back(5);
  }
  auto mp = me::compare_runs(ml, labels, pooled, {"AR", "abnormal", "AS", "MR", "MS", "murmur"}, cfg);
  EXPECT_DOUBLE_EQ(mp["paired_bootstrap"]["difference"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(mp["corrected_t_macro_auroc"]["p_value"].get<double>(), 1.0);
  EXPECT_EQ(mp["corrected_t_macro_auroc"]["shared_patients"], 24);
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
