#include "eval/compare.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <set>

#include "data/recording.h"
#include "eval/internal.h"
#include "eval/multilabel.h"
#include "eval/stats.h"
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

bool at_least_one_ml(const nlohmann::json& c) {
  return c.contains("multi_label") && (c["multi_label"]["a"].get<bool>() || c["multi_label"]["b"].get<bool>());
}

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

namespace {

using Key = std::pair<int, std::string>;  // (repeat, patient)

// A run as the 5-class question sees it: a multi-label run through five_class_view.
Predictions five_class_rows(const Predictions& run, const std::vector<std::string>& names) {
  return is_multi_label(names) ? five_class_view(run, names) : run;
}

// Probabilities of `rows` (class order `from`) in the order `to` (the same names).
void reorder(Predictions* rows, const std::vector<std::string>& from, const std::vector<std::string>& to) {
  std::vector<size_t> src(to.size());
  for (size_t c = 0; c < to.size(); ++c) src[c] = std::find(from.begin(), from.end(), to[c]) - from.begin();
  for (auto& r : *rows) {
    std::vector<float> p(to.size());
    for (size_t c = 0; c < to.size(); ++c) p[c] = r.probs.at(src[c]);
    r.probs = std::move(p);
    r.true_class = static_cast<int>(std::find(src.begin(), src.end(), size_t(r.true_class)) - src.begin());
  }
}

// Multi-label rows with labels `from` re-expressed in the label order `to` (the same names).
void reorder_labels(Predictions* rows, const std::vector<std::string>& from, const std::vector<std::string>& to) {
  std::vector<std::string> sf = from, st = to;
  std::sort(sf.begin(), sf.end()), std::sort(st.begin(), st.end());
  if (sf != st) throw Error("compare: the multi-label runs have different labels");
  std::vector<int> dst(from.size());  // from-index -> to-index
  for (size_t c = 0; c < from.size(); ++c) dst[c] = int(std::find(to.begin(), to.end(), from[c]) - to.begin());
  for (auto& r : *rows) {
    std::vector<float> p(to.size()), t(r.thresholds.empty() ? 0 : to.size());
    for (size_t c = 0; c < from.size(); ++c) {
      p[dst[c]] = r.probs.at(c);
      if (!t.empty()) t[dst[c]] = r.thresholds.at(c);
    }
    for (int& l : r.true_labels) l = dst[l];
    std::sort(r.true_labels.begin(), r.true_labels.end());
    r.probs = std::move(p), r.thresholds = std::move(t);
  }
}

template <class Keep>
Predictions filter(const Predictions& rows, Keep keep) {
  Predictions out;
  for (const auto& r : rows)
    if (keep(r)) out.push_back(r);
  return out;
}

// Per (repeat, fold) differences B - A of metric(rows of that fold); pa and pb hold the same keys
// in the same order with the same folds.
template <class Metric>
nlohmann::json corrected_t(const Predictions& pa, const Predictions& pb, bool same_folds, const char* name,
                           Metric metric) {
  CorrectedTTest t;
  std::set<int> folds;
  for (const auto& p : pa)
    if (p.fold >= 0) folds.insert(p.fold);
  if (!same_folds) {
    t.reason = "the runs used different fold assignments; pairing by (repeat, fold) needs the same folds";
  } else if (folds.size() < 2) {
    t.reason = "needs at least 2 folds";
  } else {
    std::map<std::pair<int, int>, std::pair<Predictions, Predictions>> groups;
    for (size_t i = 0; i < pa.size(); ++i)
      if (pa[i].fold >= 0) {
        auto& g = groups[{pa[i].repeat, pa[i].fold}];
        g.first.push_back(pa[i]), g.second.push_back(pb[i]);
      }
    std::vector<double> d;
    for (auto& [key, g] : groups) {
      double x = metric(g.second) - metric(g.first);
      if (!std::isnan(x)) d.push_back(x);
    }
    t = corrected_resampled_t_test(d, 1.0 / (folds.size() - 1));
  }
  nlohmann::json j = to_json(t);
  j["metric"] = name;
  j["n_folds"] = folds.size();
  return j;
}

}  // namespace

nlohmann::json compare_runs(const Predictions& a, const Predictions& b,
                            const std::vector<std::string>& class_names, const CompareConfig& cfg) {
  return compare_runs(a, class_names, b, class_names, cfg);
}

nlohmann::json compare_runs(const Predictions& a_in, const std::vector<std::string>& names_a,
                            const Predictions& b_in, const std::vector<std::string>& names_b,
                            const CompareConfig& cfg) {
  cfg.validate();
  if (a_in.empty() || b_in.empty())
    throw Error("compare: run " + std::string(a_in.empty() ? cfg.label_a : cfg.label_b) + " has no predictions");
  const bool ml_a = is_multi_label(names_a), ml_b = is_multi_label(names_b);
  const std::vector<std::string> class_names = ml_a ? data::kClassNames : names_a;
  Predictions a = five_class_rows(a_in, names_a), b = five_class_rows(b_in, names_b);
  const std::vector<std::string>& cb = ml_b ? data::kClassNames : names_b;
  if (cb != class_names) {
    auto sa = class_names, sb = cb;
    std::sort(sa.begin(), sa.end()), std::sort(sb.begin(), sb.end());
    if (sa != sb) throw Error("compare: runs " + cfg.label_a + " and " + cfg.label_b + " have different classes");
    reorder(&b, cb, class_names);
  }
  const int k = static_cast<int>(class_names.size());
  if (a.empty() || b.empty())
    throw Error("compare: run " + std::string(a.empty() ? cfg.label_a : cfg.label_b) + " has no single-label patients");
  // Each run is fused its own way (a run's report says how).
  Predictions pa_all = aggregate_patients(a, nullptr, cfg.fusion_a);
  Predictions pb_all = aggregate_patients(b, nullptr, cfg.fusion_b);

  // The (repeat, patient) keys both runs hold, with the same true classes.
  std::map<Key, const Prediction*> ka, kb;
  for (const auto& p : pa_all) ka[{p.repeat, p.patient}] = &p;
  for (const auto& p : pb_all) kb[{p.repeat, p.patient}] = &p;
  std::set<Key> shared;
  std::set<std::string> ids_a, ids_b, ids_shared;
  std::vector<std::string> class_diff;
  bool same_folds = true;
  for (auto& [key, p] : ka) {
    ids_a.insert(key.second);
    auto it = kb.find(key);
    if (it == kb.end()) continue;
    shared.insert(key), ids_shared.insert(key.second);
    if (it->second->true_class != p->true_class) class_diff.push_back(key_name(*p));
    if (it->second->fold != p->fold) same_folds = false;
  }
  for (auto& [key, p] : kb) ids_b.insert(key.second);
  if (shared.empty()) {
    std::vector<std::string> some_a(ids_a.begin(), ids_a.end()), some_b(ids_b.begin(), ids_b.end());
    throw Error("compare: runs " + cfg.label_a + " and " + cfg.label_b + " share no patient (in the same repeat): " +
                cfg.label_a + " has " + list_some(some_a) + "; " + cfg.label_b + " has " + list_some(some_b));
  }
  if (!class_diff.empty())
    throw Error("compare: runs " + cfg.label_a + " and " + cfg.label_b +
                " disagree on the true class of " + list_some(class_diff) + " (different label files?)");
  auto in_shared = [&](const Prediction& r) { return shared.count({r.repeat, r.patient}) > 0; };
  a = filter(a, in_shared), b = filter(b, in_shared);
  Predictions pa = filter(pa_all, in_shared), pb = filter(pb_all, in_shared);

  std::set<int> repeats;
  for (const auto& p : pa) repeats.insert(p.repeat);
  nlohmann::json j;
  j["schema"] = "murmur.eval.compare/1";
  j["class_names"] = class_names;
  j["labels"] = {{"a", cfg.label_a}, {"b", cfg.label_b}};
  j["n_patients"] = ids_shared.size();
  j["shared_patients"] = ids_shared.size();
  j["patients_only_in_a"] = ids_a.size() - ids_shared.size();
  j["patients_only_in_b"] = ids_b.size() - ids_shared.size();
  j["multi_label"] = {{"a", ml_a}, {"b", ml_b}};
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
  j["corrected_t"] = corrected_t(pa, pb, same_folds, "patient balanced_accuracy", [&](const Predictions& rows) {
    RowSet set(rows, k);
    return set.metrics(std::vector<int>(set.n, 1)).balanced_accuracy;
  });
  if (ml_a && ml_b) {
    // Both multi-label: macro AUROC over their labels on every shared patient (MD included); over
    // the four diseases when the label sets differ (valves against pooled's six outputs).
    std::vector<std::string> la = names_a, lb = names_b, sorted_a = names_a, sorted_b = names_b;
    std::sort(sorted_a.begin(), sorted_a.end()), std::sort(sorted_b.begin(), sorted_b.end());
    const bool to_valves = sorted_a != sorted_b && has_valve_outputs(names_a) && has_valve_outputs(names_b);
    if (to_valves) la = lb = std::vector<std::string>(data::kClassNames.begin(), data::kClassNames.end() - 1);
    Predictions ma = aggregate_patients_multilabel(to_valves ? valve_rows(a_in, names_a) : a_in),
                mb = aggregate_patients_multilabel(to_valves ? valve_rows(b_in, names_b) : b_in);
    std::set<Key> keys_b;
    for (const auto& p : mb) keys_b.insert({p.repeat, p.patient});
    std::set<Key> both;
    for (const auto& p : ma)
      if (keys_b.count({p.repeat, p.patient})) both.insert({p.repeat, p.patient});
    auto in_both = [&](const Prediction& r) { return both.count({r.repeat, r.patient}) > 0; };
    ma = filter(ma, in_both), mb = filter(mb, in_both);
    reorder_labels(&mb, lb, la);
    bool folds_agree = true;
    for (size_t i = 0; i < ma.size(); ++i) {
      if (ma[i].true_labels != mb[i].true_labels)
        throw Error("compare: runs " + cfg.label_a + " and " + cfg.label_b + " disagree on the labels of " + key_name(ma[i]));
      folds_agree &= ma[i].fold == mb[i].fold;
    }
    const int labels = static_cast<int>(la.size());
    j["corrected_t_macro_auroc"] = corrected_t(ma, mb, folds_agree, "patient multi-label macro_auroc",
                                               [&](const Predictions& rows) { return compute_multilabel_metrics(rows, labels).macro_auroc; });
    j["corrected_t_macro_auroc"]["shared_patients"] = patient_groups(ma).size();
  } else {
    j["corrected_t_macro_auroc"] = corrected_t(pa, pb, same_folds, "patient macro_auroc", [&](const Predictions& rows) {
      RowSet set(rows, k);
      return set.metrics(std::vector<int>(set.n, 1)).macro_auroc;
    });
  }
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
  if (!c["same_folds"].get<bool>()) out += "Note: the runs used different fold assignments.\n";
  if (c.contains("shared_patients")) {
    out += "Compared on the " + c["shared_patients"].dump() + " patients both runs hold";
    if (num(c["patients_only_in_a"]) > 0 || num(c["patients_only_in_b"]) > 0)
      out += " (left out: " + c["patients_only_in_a"].dump() + " only in " + la + ", " +
             c["patients_only_in_b"].dump() + " only in " + lb + ")";
    out += at_least_one_ml(c) ? "; multi-label runs answer the 5-class question through their "
                                "single-label patients (five_class_view).\n"
                              : ".\n";
  }
  for (const char* key : {"corrected_t", "corrected_t_macro_auroc"}) {
    if (!c.contains(key)) continue;
    const auto& t = c[key];
    out += "Corrected resampled t-test (Nadeau & Bengio), " + t["metric"].get<std::string>() + " " + lb + " - " + la + ": ";
    if (t["applicable"].get<bool>())
      out += "mean over " + t["n_pairs"].dump() + " (repeat, fold) pairs " + fmt(num(t["mean_difference"]), "%+.3f") +
             ", t = " + fmt(num(t["t"]), "%.2f") + ", df = " + t["df"].dump() + ", p = " + fmt(num(t["p_value"]), "%.4f") + "\n";
    else
      out += "not applicable (" + t["reason"].get<std::string>() + ")\n";
  }
  if (c.contains("corrected_t"))
    out += "The paired bootstrap and McNemar treat each model as fixed: they ignore training variance (another\n"
           "training seed gives another model). The corrected t-test includes it through the spread over folds.\n";
  return out;
}

}  // namespace murmur::eval
