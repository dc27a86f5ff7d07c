#include "eval/compare.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <set>

#include "eval/internal.h"
#include "eval/text.h"
#include "util/check.h"
#include "util/error.h"

namespace murmur::eval {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
const char* kHeadline[] = {"accuracy", "balanced_accuracy", "macro_f1", "macro_auroc"};

std::string list_some(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size() && i < 5; ++i) s += (i ? ", " : "") + v[i];
  if (v.size() > 5) s += ", ... (" + std::to_string(v.size()) + " in all)";
  return s;
}

std::string key_name(const Prediction& p) { return p.patient + " (repeat " + std::to_string(p.repeat) + ")"; }

// Patient rows averaged over repeats: one row per patient, so McNemar counts each patient once.
Predictions over_repeats(const Predictions& patients) {
  std::map<std::string, std::vector<const Prediction*>> by;
  for (const auto& p : patients) by[p.patient].push_back(&p);
  Predictions out;
  for (auto& [id, rows] : by) {
    Prediction q = *rows[0];
    std::vector<double> sum(q.probs.size(), 0.0);
    for (auto* r : rows)
      for (size_t c = 0; c < sum.size(); ++c) sum[c] += r->probs[c];
    for (size_t c = 0; c < sum.size(); ++c) q.probs[c] = static_cast<float>(sum[c] / rows.size());
    out.push_back(std::move(q));
  }
  return out;
}

nlohmann::json summary(const Predictions& recordings, const Predictions& patients,
                       const std::vector<std::string>& classes, const BootstrapConfig& boot) {
  nlohmann::json s;
  auto rec = evaluate_level(recordings, classes, boot);
  auto pat = evaluate_level(patients, classes, boot);
  for (const char* m : kHeadline) s["recording"][m] = rec[m], s["patient"][m] = pat[m];
  return s;
}

std::string fmt(double x, const char* f = "%.3f") {
  if (std::isnan(x)) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, f, x);
  return buf;
}

double num(const nlohmann::json& j) { return j.is_number() ? j.get<double>() : kNaN; }

}  // namespace

void CompareConfig::validate() const {
  bootstrap.validate();
  util::check_setting(exact_below >= 0, "compare.exact_below", "must be >= 0", exact_below);
}

McNemarResult mcnemar(int n01, int n10, int exact_below) {
  int n = n01 + n10;
  if (n == 0) return {"none", kNaN, 1.0};
  if (n < exact_below) {
    // Two-sided exact binomial (p = 1/2): twice the smaller tail, capped at 1.
    int m = std::min(n01, n10);
    double tail = 0;
    for (int i = 0; i <= m; ++i)
      tail += std::exp(std::lgamma(n + 1.0) - std::lgamma(i + 1.0) - std::lgamma(n - i + 1.0) - n * std::log(2.0));
    return {"exact", kNaN, std::min(1.0, 2 * tail)};
  }
  double d = std::max(0.0, std::abs(double(n01 - n10)) - 1.0);
  double chi2 = d * d / n;
  return {"chi2_cc", chi2, std::erfc(std::sqrt(chi2 / 2))};  // chi-square survival, 1 dof
}

nlohmann::json compare_runs(const Predictions& a, const Predictions& b,
                            const std::vector<std::string>& class_names, const CompareConfig& cfg) {
  cfg.validate();
  const int k = static_cast<int>(class_names.size());
  if (a.empty() || b.empty()) throw Error("compare: run " + std::string(a.empty() ? cfg.label_a : cfg.label_b) + " has no predictions");
  // Each run is fused its own way (a run's report says how).
  Predictions pa = aggregate_patients(a, nullptr, cfg.fusion_a);
  Predictions pb = aggregate_patients(b, nullptr, cfg.fusion_b);

  // Same patients (per repeat), same true classes.
  std::map<std::pair<int, std::string>, const Prediction*> ka, kb;
  for (const auto& p : pa) ka[{p.repeat, p.patient}] = &p;
  for (const auto& p : pb) kb[{p.repeat, p.patient}] = &p;
  std::vector<std::string> only_a, only_b, class_diff;
  bool same_folds = true;
  for (auto& [key, p] : ka) {
    auto it = kb.find(key);
    if (it == kb.end()) {
      only_a.push_back(key_name(*p));
      continue;
    }
    if (it->second->true_class != p->true_class) class_diff.push_back(key_name(*p));
    if (it->second->fold != p->fold) same_folds = false;
  }
  for (auto& [key, p] : kb)
    if (!ka.count(key)) only_b.push_back(key_name(*p));
  if (!only_a.empty() || !only_b.empty()) {
    std::string msg = "compare: runs " + cfg.label_a + " and " + cfg.label_b + " do not cover the same patients:";
    if (!only_a.empty()) msg += " only in " + cfg.label_a + ": " + list_some(only_a) + ";";
    if (!only_b.empty()) msg += " only in " + cfg.label_b + ": " + list_some(only_b) + ";";
    throw Error(msg + " compare runs made on the same data set with the same repeats");
  }
  if (!class_diff.empty())
    throw Error("compare: runs " + cfg.label_a + " and " + cfg.label_b +
                " disagree on the true class of " + list_some(class_diff) + " (different label files?)");

  std::set<int> repeats;
  for (const auto& p : pa) repeats.insert(p.repeat);
  nlohmann::json j;
  j["schema"] = "murmur.eval.compare/1";
  j["class_names"] = class_names;
  j["labels"] = {{"a", cfg.label_a}, {"b", cfg.label_b}};
  j["n_patients"] = patient_groups(pa).size();
  j["n_repeats"] = repeats.size();
  j["same_folds"] = same_folds;
  j["fusion_a"] = fusion_name(cfg.fusion_a);
  j["fusion_b"] = fusion_name(cfg.fusion_b);
  j["a"] = summary(a, pa, class_names, cfg.bootstrap);
  j["b"] = summary(b, pb, class_names, cfg.bootstrap);

  // Paired bootstrap: pa and pb hold the same keys in the same (repeat, patient) order, so one
  // weight vector serves both runs.
  RowSet sa(pa, k), sb(pb, k);
  std::vector<int> ones(sa.n, 1);
  double ba_a = sa.metrics(ones).balanced_accuracy, ba_b = sb.metrics(ones).balanced_accuracy;
  double diff = ba_b - ba_a;
  auto groups = patient_groups(pa);
  std::vector<double> diffs;
  Rng rng(cfg.bootstrap.seed);
  std::vector<int> w(sa.n);
  long below = 0, above = 0;
  for (int r = 0; r < cfg.bootstrap.n_resamples; ++r) {
    std::fill(w.begin(), w.end(), 0);
    for (size_t d = 0; d < groups.size(); ++d)
      for (int i : groups[rng.below(groups.size())]) ++w[i];
    double x = sb.metrics(w).balanced_accuracy - sa.metrics(w).balanced_accuracy;
    if (std::isnan(x)) continue;
    diffs.push_back(x);
    if (x <= 0) ++below;
    if (x >= 0) ++above;
  }
  auto ci = percentile_interval(diffs, cfg.bootstrap.confidence, cfg.bootstrap.n_resamples);
  double p_boot = diffs.empty() ? kNaN
                                : std::min(1.0, 2.0 * (std::min(below, above) + 1) / (diffs.size() + 1.0));
  j["paired_bootstrap"] = {{"metric", "patient balanced_accuracy"},
                           {"a", number_or_null(ba_a)},
                           {"b", number_or_null(ba_b)},
                           {"difference", number_or_null(diff)},
                           {"ci_low", number_or_null(ci.first)},
                           {"ci_high", number_or_null(ci.second)},
                           {"p_value", number_or_null(p_boot)},
                           {"n_resamples", cfg.bootstrap.n_resamples},
                           {"seed", cfg.bootstrap.seed},
                           {"confidence", cfg.bootstrap.confidence}};

  // McNemar on one prediction per patient.
  Predictions ra = over_repeats(pa), rb = over_repeats(pb);
  int both_right = 0, only_a_right = 0, only_b_right = 0, both_wrong = 0;
  for (size_t i = 0; i < ra.size(); ++i) {
    bool ok_a = predicted_class(ra[i].probs) == ra[i].true_class;
    bool ok_b = predicted_class(rb[i].probs) == rb[i].true_class;
    (ok_a ? (ok_b ? both_right : only_a_right) : (ok_b ? only_b_right : both_wrong))++;
  }
  McNemarResult mc = mcnemar(only_a_right, only_b_right, cfg.exact_below);
  j["mcnemar"] = {{"both_right", both_right},     {"only_a_right", only_a_right},
                  {"only_b_right", only_b_right}, {"both_wrong", both_wrong},
                  {"method", mc.method},          {"statistic", number_or_null(mc.statistic)},
                  {"p_value", mc.p_value}};
  return j;
}

std::string format_comparison(const nlohmann::json& c) {
  std::string la = c["labels"]["a"], lb = c["labels"]["b"];
  std::vector<std::vector<std::string>> rows;
  for (const char* level : {"patient", "recording"})
    for (const char* m : kHeadline) {
      double va = num(c["a"][level][m]["value"]), vb = num(c["b"][level][m]["value"]);
      rows.push_back({std::string(level) + " " + m, format_stat(c["a"][level][m]),
                      format_stat(c["b"][level][m]), fmt(vb - va, "%+.3f")});
    }
  std::string out = format_table({"metric", la, lb, lb + " - " + la}, rows);
  const auto& pb = c["paired_bootstrap"];
  out += "\nPaired bootstrap over " + c["n_patients"].dump() + " patients (" +
         pb["n_resamples"].dump() + " resamples): balanced accuracy " + lb + " - " + la + " = " +
         fmt(num(pb["difference"]), "%+.3f") + " [" + fmt(num(pb["ci_low"]), "%+.3f") + ", " +
         fmt(num(pb["ci_high"]), "%+.3f") + "], p = " + fmt(num(pb["p_value"]), "%.4f") + "\n";
  const auto& mc = c["mcnemar"];
  out += "McNemar (" + mc["method"].get<std::string>() + "): only " + la + " right " +
         mc["only_a_right"].dump() + ", only " + lb + " right " + mc["only_b_right"].dump() +
         ", p = " + fmt(num(mc["p_value"]), "%.4f") + "\n";
  if (!c["same_folds"].get<bool>())
    out += "Note: the runs used different fold assignments (same patients).\n";
  return out;
}

}  // namespace murmur::eval
