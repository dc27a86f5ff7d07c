// Small statistics for comparing runs: the Student t distribution (through the regularized
// incomplete beta function) and the corrected resampled t-test of Nadeau & Bengio (2003), which
// counts training variance: its differences come from models trained on overlapping data.
//
//   double p = murmur::eval::student_t_two_sided_p(2.0, 4);             // 0.1161
//   auto t = murmur::eval::corrected_resampled_t_test(per_fold_diffs, 1.0 / (5 - 1));
//   if (t.applicable) std::cout << t.mean_difference << " p=" << t.p_value;
//
// corrected_resampled_t_test: J differences d_j (one per (repeat, fold), same folds for both
// models), mean d, sample variance s^2 (J - 1), t = d / sqrt((1/J + n_test/n_train) s^2),
// df = J - 1, two-sided p from Student t. With s^2 = 0: t = 0 and p = 1 if d = 0, else t = +-inf
// and p = 0. Fewer than 2 differences: not applicable (reason says so).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace murmur::eval {

// I_x(a, b) for a, b > 0 and x in [0, 1] (continued fraction, relative accuracy ~1e-12).
double regularized_incomplete_beta(double a, double b, double x);
// P(T <= t) for Student's t with df > 0 degrees of freedom.
double student_t_cdf(double t, double df);
// P(|T| >= |t|).
double student_t_two_sided_p(double t, double df);

struct CorrectedTTest {
  bool applicable = false;
  std::string reason;  // why not applicable; empty if applicable
  int n_pairs = 0, df = 0;
  double mean_difference = 0, t = 0, p_value = 1;
};
CorrectedTTest corrected_resampled_t_test(const std::vector<double>& differences, double test_train_ratio);

// {"mean_difference", "t", "df", "p_value", "n_pairs", "applicable", "reason"}; numbers null when
// not applicable (and t null when infinite).
nlohmann::json to_json(const CorrectedTTest& t);

}  // namespace murmur::eval
