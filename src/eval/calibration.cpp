#include "eval/calibration.h"

#include <algorithm>
#include <cmath>

#include "eval/metrics.h"
#include "util/error.h"

namespace murmur::eval {

namespace {

constexpr double kFloor = 1e-12;  // log of a zero probability

double mean_nll(const std::vector<std::vector<float>>& probs, const std::vector<int>& labels, double t) {
  double sum = 0;
  for (size_t i = 0; i < probs.size(); ++i) {
    // log softmax(log p / t) at the label, in double.
    double top = -1e300;
    for (float p : probs[i]) top = std::max(top, std::log(std::max<double>(p, kFloor)) / t);
    double z = 0;
    for (float p : probs[i]) z += std::exp(std::log(std::max<double>(p, kFloor)) / t - top);
    sum -= std::log(std::max<double>(probs[i][size_t(labels[i])], kFloor)) / t - top - std::log(z);
  }
  return sum / double(probs.size());
}

nlohmann::json level_json(const Predictions& rows, int n_bins) {
  std::vector<double> conf;
  std::vector<bool> correct;
  for (const auto& r : rows) {
    if (r.true_class < 0 || r.probs.empty()) continue;
    const int k = predicted_class(r.probs);
    conf.push_back(r.probs[size_t(k)]);
    correct.push_back(k == r.true_class);
  }
  nlohmann::json bins = nlohmann::json::array();
  for (int b = 0; b < n_bins; ++b) {
    const double lo = double(b) / n_bins, hi = double(b + 1) / n_bins;
    double c = 0, a = 0;
    int n = 0;
    for (size_t i = 0; i < conf.size(); ++i)
      if (conf[i] >= lo && (conf[i] < hi || (b == n_bins - 1 && conf[i] <= hi))) ++n, c += conf[i], a += correct[i];
    bins.push_back({{"lo", lo}, {"hi", hi}, {"n", n}, {"confidence", n ? nlohmann::json(c / n) : nlohmann::json()},
                    {"accuracy", n ? nlohmann::json(a / n) : nlohmann::json()}});
  }
  nlohmann::json selective = nlohmann::json::array();
  for (double tau : {0.0, 0.5, 0.6, 0.7, 0.8, 0.9}) {
    int n = 0, right = 0;
    for (size_t i = 0; i < conf.size(); ++i)
      if (conf[i] >= tau) ++n, right += correct[i];
    selective.push_back({{"min_confidence", tau}, {"n_answered", n},
                         {"coverage", conf.empty() ? nlohmann::json() : nlohmann::json(double(n) / double(conf.size()))},
                         {"accuracy", n ? nlohmann::json(double(right) / n) : nlohmann::json()}});
  }
  return {{"ece", conf.empty() ? nlohmann::json() : nlohmann::json(expected_calibration_error(conf, correct, n_bins))},
          {"n", conf.size()},
          {"bins", bins},
          {"selective", selective}};
}

nlohmann::json levels_json(const Predictions& rows, Fusion fusion, int n_bins) {
  return {{"recording", level_json(rows, n_bins)}, {"patient", level_json(aggregate_patients(rows, nullptr, fusion), n_bins)}};
}

}  // namespace

std::vector<float> apply_temperature(const std::vector<float>& probs, double t) {
  if (t == 1.0 || probs.empty()) return probs;
  double top = -1e300;
  for (float p : probs) top = std::max(top, std::log(std::max<double>(p, kFloor)) / t);
  std::vector<double> e;
  double z = 0;
  for (float p : probs) z += e.emplace_back(std::exp(std::log(std::max<double>(p, kFloor)) / t - top));
  std::vector<float> out;
  for (double v : e) out.push_back(float(v / z));
  return out;
}

double fit_temperature(const std::vector<std::vector<float>>& probs, const std::vector<int>& labels) {
  if (probs.size() != labels.size())
    throw Error("fit_temperature: " + std::to_string(probs.size()) + " probability rows but " +
                std::to_string(labels.size()) + " labels");
  for (size_t i = 0; i < probs.size(); ++i)
    if (labels[i] < 0 || size_t(labels[i]) >= probs[i].size())
      throw Error("fit_temperature: label " + std::to_string(labels[i]) + " of row " + std::to_string(i) +
                  " is not one of its " + std::to_string(probs[i].size()) + " classes");
  if (probs.empty()) return 1.0;
  // The NLL is convex in 1/T; golden section on log T is plenty for one parameter.
  double a = std::log(0.05), b = std::log(20.0);
  const double g = (std::sqrt(5.0) - 1) / 2;
  double c = b - g * (b - a), d = a + g * (b - a);
  double fc = mean_nll(probs, labels, std::exp(c)), fd = mean_nll(probs, labels, std::exp(d));
  for (int it = 0; it < 80 && b - a > 1e-6; ++it) {
    if (fc < fd) {
      b = d, d = c, fd = fc;
      c = b - g * (b - a);
      fc = mean_nll(probs, labels, std::exp(c));
    } else {
      a = c, c = d, fc = fd;
      d = a + g * (b - a);
      fd = mean_nll(probs, labels, std::exp(d));
    }
  }
  return std::exp((a + b) / 2);
}

double expected_calibration_error(const std::vector<double>& conf, const std::vector<bool>& correct, int n_bins) {
  if (conf.size() != correct.size() || n_bins < 1) throw Error("expected_calibration_error: sizes differ or no bins");
  if (conf.empty()) return std::nan("");
  std::vector<double> c(size_t(n_bins), 0), a(size_t(n_bins), 0), n(size_t(n_bins), 0);
  for (size_t i = 0; i < conf.size(); ++i) {
    const size_t b = size_t(std::clamp(int(conf[i] * n_bins), 0, n_bins - 1));
    c[b] += conf[i], a[b] += correct[i], n[b] += 1;
  }
  double ece = 0;
  for (size_t b = 0; b < size_t(n_bins); ++b) ece += std::abs(a[b] - c[b]) / double(conf.size());
  return ece;
}

nlohmann::json calibration_json(const Predictions& rows, const std::vector<std::string>& class_names, Fusion fusion,
                                const std::map<std::string, double>& temperatures, int n_bins) {
  if (is_multi_label(class_names)) return nullptr;
  nlohmann::json out = levels_json(rows, fusion, n_bins);
  out["n_bins"] = n_bins;
  out["temperatures"] = temperatures;
  if (!temperatures.empty()) {
    Predictions before = rows;
    for (auto& r : before) {
      auto t = temperatures.find(std::to_string(r.repeat) + "/" + std::to_string(r.fold));
      if (t != temperatures.end()) r.probs = apply_temperature(r.probs, 1.0 / t->second);
    }
    out["uncalibrated"] = levels_json(before, fusion, n_bins);
  }
  return out;
}

}  // namespace murmur::eval
