#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "eval/internal.h"
#include "eval/metrics.h"
#include "util/check.h"

namespace murmur::eval {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}  // namespace

uint64_t Rng::below(uint64_t n) {
  // Lemire's multiply-shift: the same stream on every platform (std distributions are not).
  return static_cast<uint64_t>((static_cast<unsigned __int128>(engine()) * n) >> 64);
}

std::pair<double, double> percentile_interval(std::vector<double> values, double confidence,
                                              int n_resamples) {
  values.erase(std::remove_if(values.begin(), values.end(), [](double x) { return std::isnan(x); }),
               values.end());
  if (values.empty() || 2 * values.size() < size_t(n_resamples)) return {kNaN, kNaN};
  std::sort(values.begin(), values.end());
  auto at = [&](double q) {  // numpy.percentile, linear interpolation
    double pos = q * (values.size() - 1);
    size_t lo = static_cast<size_t>(std::floor(pos));
    size_t hi = std::min(lo + 1, values.size() - 1);
    return values[lo] + (pos - lo) * (values[hi] - values[lo]);
  };
  double alpha = (1 - confidence) / 2;
  return {at(alpha), at(1 - alpha)};
}

std::vector<std::vector<int>> patient_groups(const Predictions& rows) {
  std::map<std::string, std::vector<int>> by_patient;
  for (int i = 0; i < static_cast<int>(rows.size()); ++i) by_patient[rows[i].patient].push_back(i);
  std::vector<std::vector<int>> groups;
  for (auto& [p, idx] : by_patient) groups.push_back(std::move(idx));
  return groups;
}

std::vector<std::vector<double>> bootstrap_draws(
    int n_rows, const std::vector<std::vector<int>>& groups, const BootstrapConfig& boot,
    const std::function<std::vector<double>(const std::vector<int>&)>& scalars) {
  std::vector<std::vector<double>> draws;  // [resample][scalar]
  if (boot.n_resamples <= 0 || groups.empty()) return draws;
  Rng rng(boot.seed);
  std::vector<int> w(n_rows);
  for (int b = 0; b < boot.n_resamples; ++b) {
    std::fill(w.begin(), w.end(), 0);
    for (size_t d = 0; d < groups.size(); ++d)
      for (int i : groups[rng.below(groups.size())]) ++w[i];
    draws.push_back(scalars(w));
  }
  return draws;
}

std::vector<std::vector<double>> bootstrap_scalars(const RowSet& set,
                                                   const std::vector<std::vector<int>>& groups,
                                                   const BootstrapConfig& boot) {
  return bootstrap_draws(set.n, groups, boot, [&](const std::vector<int>& w) { return scalar_vector(set.metrics(w)); });
}

nlohmann::json number_or_null(double x) { return std::isnan(x) ? nlohmann::json(nullptr) : nlohmann::json(x); }

nlohmann::json stat_json(double value, const std::vector<std::vector<double>>& draws, size_t index,
                         const BootstrapConfig& boot) {
  std::pair<double, double> ci{kNaN, kNaN};
  if (!draws.empty()) {
    std::vector<double> v(draws.size());
    for (size_t b = 0; b < draws.size(); ++b) v[b] = draws[b][index];
    ci = percentile_interval(std::move(v), boot.confidence, boot.n_resamples);
  }
  return {{"value", number_or_null(value)}, {"ci_low", number_or_null(ci.first)},
          {"ci_high", number_or_null(ci.second)}};
}

void BootstrapConfig::validate(const std::string& section) const {
  util::check_setting(n_resamples >= 0, util::setting_key(section, "n_resamples"), "must be >= 0", n_resamples);
  util::check_setting(confidence > 0 && confidence < 1, util::setting_key(section, "confidence"),
                      "must be in (0, 1)", confidence);
}

void to_json(nlohmann::json& j, const BootstrapConfig& c) {
  j = {{"n_resamples", c.n_resamples}, {"seed", c.seed}, {"confidence", c.confidence}};
}

// An old "patient_fusion" key (reports before fusion left the bootstrap settings) is ignored.
void from_json(const nlohmann::json& j, BootstrapConfig& c) {
  BootstrapConfig d;
  c.n_resamples = j.value("n_resamples", d.n_resamples);
  c.seed = j.value("seed", d.seed);
  c.confidence = j.value("confidence", d.confidence);
  c.validate();
}

}  // namespace murmur::eval
