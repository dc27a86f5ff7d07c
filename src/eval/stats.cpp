#include "eval/stats.h"

#include <cmath>
#include <limits>

#include "util/error.h"

namespace murmur::eval {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Continued fraction of I_x(a, b) (modified Lentz; Numerical Recipes' betacf).
double beta_fraction(double a, double b, double x) {
  const double tiny = 1e-300, eps = 1e-15;
  double qab = a + b, qap = a + 1, qam = a - 1, c = 1, d = 1 - qab * x / qap;
  if (std::abs(d) < tiny) d = tiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= 10000; ++m) {
    int m2 = 2 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1 + aa * d, c = 1 + aa / c;
    if (std::abs(d) < tiny) d = tiny;
    if (std::abs(c) < tiny) c = tiny;
    d = 1 / d, h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1 + aa * d, c = 1 + aa / c;
    if (std::abs(d) < tiny) d = tiny;
    if (std::abs(c) < tiny) c = tiny;
    d = 1 / d;
    double del = d * c;
    h *= del;
    if (std::abs(del - 1) < eps) break;
  }
  return h;
}

}  // namespace

double regularized_incomplete_beta(double a, double b, double x) {
  if (!(a > 0) || !(b > 0) || !(x >= 0 && x <= 1))
    throw Error("regularized_incomplete_beta: need a, b > 0 and x in [0, 1]");
  if (x == 0 || x == 1) return x;
  double front = std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) +
                          b * std::log1p(-x));
  if (x < (a + 1) / (a + b + 2)) return front * beta_fraction(a, b, x) / a;
  return 1 - front * beta_fraction(b, a, 1 - x) / b;
}

double student_t_two_sided_p(double t, double df) {
  if (!(df > 0)) throw Error("student_t: degrees of freedom must be > 0");
  if (std::isnan(t)) return kNaN;
  if (std::isinf(t)) return 0;
  return regularized_incomplete_beta(df / 2, 0.5, df / (df + t * t));
}

double student_t_cdf(double t, double df) {
  double tail = student_t_two_sided_p(t, df) / 2;  // P(T >= |t|)
  return t > 0 ? 1 - tail : tail;
}

CorrectedTTest corrected_resampled_t_test(const std::vector<double>& d, double ratio) {
  CorrectedTTest r;
  r.n_pairs = static_cast<int>(d.size());
  if (d.size() < 2) {
    r.reason = "needs at least 2 (repeat, fold) pairs, got " + std::to_string(d.size());
    return r;
  }
  double mean = 0, ss = 0;
  for (double x : d) mean += x;
  mean /= d.size();
  for (double x : d) ss += (x - mean) * (x - mean);
  double var = ss / (d.size() - 1);
  r.applicable = true;
  r.df = r.n_pairs - 1;
  r.mean_difference = mean;
  double se = std::sqrt((1.0 / d.size() + ratio) * var);
  if (se == 0) {
    r.t = mean == 0 ? 0 : std::copysign(std::numeric_limits<double>::infinity(), mean);
    r.p_value = mean == 0 ? 1 : 0;
    return r;
  }
  r.t = mean / se;
  r.p_value = student_t_two_sided_p(r.t, r.df);
  return r;
}

nlohmann::json to_json(const CorrectedTTest& t) {
  auto number = [&](double x) { return t.applicable && std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); };
  return {{"mean_difference", number(t.mean_difference)},
          {"t", number(t.t)},
          {"df", t.applicable ? nlohmann::json(t.df) : nlohmann::json(nullptr)},
          {"p_value", number(t.p_value)},
          {"n_pairs", t.n_pairs},
          {"applicable", t.applicable},
          {"reason", t.reason}};
}

}  // namespace murmur::eval
