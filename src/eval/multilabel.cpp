// Multi-label evaluation JSON (eval/multilabel.h): patient rows, levels with patient-bootstrap
// intervals, label-set confusion, fold spread; and the 5-class view of a multi-label run.
#include "eval/multilabel.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <set>

#include "data/recording.h"
#include "eval/fusion.h"
#include "eval/internal.h"
#include "util/error.h"

namespace murmur::eval {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr size_t kMaxLabelSets = 8;  // label-set confusion: the most common true sets, rest "other"

std::vector<double> round6(std::vector<double> v) {
  for (double& x : v) x = std::round(x * 1e6) / 1e6;  // keeps report.json small and readable
  return v;
}

// Rows = the most common true label sets (at most kMaxLabelSets, by count then name), columns the
// same sets; anything else is pooled as "other".
nlohmann::json label_set_confusion(const LabelRowSet& set, const std::vector<std::string>& names) {
  std::vector<std::string> truth(set.n), pred(set.n);
  std::map<std::string, int> count;
  for (int i = 0; i < set.n; ++i) {
    std::vector<int> t, d;
    for (int c = 0; c < set.k; ++c) {
      if (set.truth[size_t(i) * set.k + c]) t.push_back(c);
      if (set.decision[size_t(i) * set.k + c]) d.push_back(c);
    }
    truth[i] = label_set_name(t, names), pred[i] = label_set_name(d, names);
    ++count[truth[i]];
  }
  std::vector<std::pair<int, std::string>> by_count;
  for (auto& [name, n] : count) by_count.push_back({-n, name});
  std::sort(by_count.begin(), by_count.end());
  std::vector<std::string> sets;
  for (size_t i = 0; i < by_count.size() && i < kMaxLabelSets; ++i) sets.push_back(by_count[i].second);
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < sets.size(); ++i) index[sets[i]] = i;
  bool other = by_count.size() > kMaxLabelSets;
  for (const auto& p : pred) other |= !index.count(p);
  if (other) sets.push_back("other");
  std::vector<std::vector<int>> counts(sets.size(), std::vector<int>(sets.size(), 0));
  auto slot = [&](const std::string& s) {
    auto it = index.find(s);
    return it == index.end() ? sets.size() - 1 : it->second;
  };
  for (int i = 0; i < set.n; ++i) ++counts[slot(truth[i])][slot(pred[i])];
  return {{"sets", sets}, {"counts", counts}};
}

nlohmann::json level_json(const Predictions& rows, const std::vector<std::string>& names,
                          const BootstrapConfig& boot) {
  const int k = static_cast<int>(names.size());
  LabelRowSet set(rows, k);
  MultiLabelMetrics m = set.metrics(std::vector<int>(set.n, 1));
  auto groups = patient_groups(rows);
  auto draws = bootstrap_draws(set.n, groups, boot,
                               [&](const std::vector<int>& w) { return multilabel_scalars(set.metrics(w)); });
  auto stat = [&](double v, size_t i) { return stat_json(v, draws, i, boot); };
  nlohmann::json j;
  j["n_rows"] = m.n_rows;
  j["n_patients"] = groups.size();
  j["macro_auroc"] = stat(m.macro_auroc, 0);
  j["macro_average_precision"] = stat(m.macro_average_precision, 1);
  j["exact_match"] = stat(m.exact_match, 2);
  j["hamming_loss"] = stat(m.hamming_loss, 3);
  j["any_disease"] = {{"support", m.any_support},
                      {"n_normal", m.n_normal},
                      {"sensitivity", stat(m.any_sensitivity, 4)},
                      {"specificity", stat(m.any_specificity, 5)},
                      {"auroc", stat(m.any_auroc, 6)}};
  j["per_class"] = j["roc"] = j["pr"] = nlohmann::json::array();
  for (int c = 0; c < k; ++c) {
    size_t base = 7 + 4 * size_t(c);
    j["per_class"].push_back({{"class", names[c]},
                              {"support", m.support[c]},
                              {"auroc", stat(m.auroc[c], base)},
                              {"average_precision", stat(m.average_precision[c], base + 1)},
                              {"sensitivity", stat(m.sensitivity[c], base + 2)},
                              {"specificity", stat(m.specificity[c], base + 3)}});
    std::vector<bool> pos(set.n);
    std::vector<double> score(set.n);
    for (int i = 0; i < set.n; ++i)
      pos[i] = set.truth[size_t(i) * k + c], score[i] = set.score[size_t(i) * (k + 1) + c];
    RocCurve r = roc_curve(pos, score);
    PrCurve p = pr_curve(pos, score);
    j["roc"].push_back({{"class", names[c]}, {"fpr", round6(r.fpr)}, {"tpr", round6(r.tpr)}});
    j["pr"].push_back({{"class", names[c]},
                       {"prevalence", number_or_null(set.n ? double(m.support[c]) / set.n : kNaN)},
                       {"recall", round6(p.recall)},
                       {"precision", round6(p.precision)}});
  }
  j["label_sets"] = label_set_confusion(set, names);
  return j;
}

nlohmann::json fold_stats(const Predictions& rows, int k) {
  std::map<std::pair<int, int>, Predictions> groups;
  for (const auto& r : rows)
    if (r.fold >= 0) groups[{r.repeat, r.fold}].push_back(r);
  const char* names[] = {"macro_auroc", "macro_average_precision", "exact_match", "hamming_loss",
                         "any_sensitivity", "any_specificity"};
  constexpr int kN = 6;
  std::vector<std::vector<double>> values(kN);
  nlohmann::json per_fold = nlohmann::json::array();
  for (auto& [key, g] : groups) {
    MultiLabelMetrics m = compute_multilabel_metrics(g, k);
    double v[kN] = {m.macro_auroc, m.macro_average_precision, m.exact_match, m.hamming_loss,
                    m.any_sensitivity, m.any_specificity};
    nlohmann::json f = {{"repeat", key.first}, {"fold", key.second}, {"n_rows", m.n_rows}};
    for (int i = 0; i < kN; ++i) f[names[i]] = number_or_null(v[i]), values[i].push_back(v[i]);
    per_fold.push_back(f);
  }
  nlohmann::json j = {{"n", groups.size()}};
  for (int i = 0; i < kN; ++i) {
    std::vector<double> v;
    for (double x : values[i])
      if (!std::isnan(x)) v.push_back(x);
    double mean = v.empty() ? kNaN : std::accumulate(v.begin(), v.end(), 0.0) / v.size(), ss = 0;
    for (double x : v) ss += (x - mean) * (x - mean);
    j[names[i]] = {{"mean", number_or_null(mean)},
                   {"sd", number_or_null(v.size() > 1 ? std::sqrt(ss / (v.size() - 1)) : kNaN)}};
  }
  j["per_fold"] = per_fold;
  return j;
}

}  // namespace

Predictions aggregate_patients_multilabel(const Predictions& recordings) {
  Predictions out;
  for (auto& [key, rows] : rows_by_patient(recordings)) {
    const Prediction& first = *rows[0];
    Prediction p;
    p.patient = key.second, p.repeat = key.first, p.true_class = -1;
    p.fold = first.fold, p.true_labels = first.true_labels, p.thresholds = first.thresholds;
    std::vector<std::vector<float>> probs;
    for (const auto* r : rows) {
      const std::string pair = "patient " + p.patient + " (repeat " + std::to_string(p.repeat) +
                               "): recordings " + first.file + " and " + r->file;
      if (r->true_labels != p.true_labels) throw Error("predictions: " + pair + " have different true labels");
      if (r->thresholds != p.thresholds) throw Error("predictions: " + pair + " have different thresholds");
      if (r->fold != p.fold)
        throw Error("predictions: " + pair + " are in different folds (split not grouped by patient?)");
      probs.push_back(r->probs);
    }
    p.probs = fuse(probs, Fusion::kMean);
    out.push_back(std::move(p));
  }
  return out;
}

nlohmann::json evaluate_multilabel(const Predictions& recordings, const std::vector<std::string>& class_names,
                                   const BootstrapConfig& boot) {
  boot.validate();
  const int k = static_cast<int>(class_names.size());
  if (k < 1) throw Error("evaluate_multilabel: no class names");
  if (!is_multi_label(class_names)) throw Error("evaluate_multilabel: class names include \"N\" (a single-label run)");
  if (recordings.empty()) throw Error("evaluate_multilabel: no predictions");
  check_multilabel_rows(recordings, k);
  std::set<std::pair<int, std::string>> seen;
  std::set<int> repeats, folds;
  std::set<std::string> files;
  bool thresholds = false;
  for (const auto& r : recordings) {
    if (!r.file.empty() && !seen.insert({r.repeat, r.file}).second)
      throw Error("predictions: " + r.file + ": appears twice in repeat " + std::to_string(r.repeat));
    repeats.insert(r.repeat), folds.insert(r.fold), files.insert(r.file);
    thresholds |= !r.thresholds.empty();
  }
  Predictions patients = aggregate_patients_multilabel(recordings);
  nlohmann::json j;
  j["schema"] = "murmur.eval.multilabel/1";
  j["class_names"] = class_names;
  j["bootstrap"] = boot;
  j["patient_fusion"] = fusion_name(Fusion::kMean);
  j["thresholds"] = thresholds ? "per fold, from the predictions" : "0.5 (the predictions carry none)";
  j["n_repeats"] = repeats.size();
  j["n_folds"] = folds.size();
  j["n_patients"] = patient_groups(recordings).size();
  j["n_recordings"] = files.size();
  j["warnings"] = nlohmann::json::array();
  j["recording"] = level_json(recordings, class_names, boot);
  j["patient"] = level_json(patients, class_names, boot);
  j["folds"] = {{"recording", fold_stats(recordings, k)}, {"patient", fold_stats(patients, k)}};
  return j;
}

bool has_valve_outputs(const std::vector<std::string>& class_names) {
  for (size_t k = 0; k + 1 < data::kClassNames.size(); ++k)  // every class but N
    if (std::find(class_names.begin(), class_names.end(), data::kClassNames[k]) == class_names.end()) return false;
  return true;
}

Predictions valve_rows(const Predictions& multilabel, const std::vector<std::string>& class_names) {
  if (!has_valve_outputs(class_names)) throw Error("valve_rows: the labels must include AR, AS, MR and MS");
  check_multilabel_rows(multilabel, static_cast<int>(class_names.size()));
  const size_t n_valves = data::kClassNames.size() - 1;
  std::vector<int> from(class_names.size(), -1);  // output index -> valve index, or -1
  for (size_t v = 0; v < n_valves; ++v)
    from[size_t(std::find(class_names.begin(), class_names.end(), data::kClassNames[v]) - class_names.begin())] = int(v);
  Predictions out;
  for (const auto& r : multilabel) {
    Prediction q = r;
    q.probs.assign(n_valves, 0.f);
    q.thresholds.assign(r.thresholds.empty() ? 0 : n_valves, 0.f);
    q.true_labels.clear(), q.unknown_labels.clear();
    for (size_t c = 0; c < class_names.size(); ++c) {
      if (from[c] < 0) continue;
      q.probs[size_t(from[c])] = r.probs[c];
      if (!r.thresholds.empty()) q.thresholds[size_t(from[c])] = r.thresholds[c];
    }
    for (int l : r.true_labels)
      if (from[size_t(l)] >= 0) q.true_labels.push_back(from[size_t(l)]);
    for (int l : r.unknown_labels)
      if (from[size_t(l)] >= 0) q.unknown_labels.push_back(from[size_t(l)]);
    std::sort(q.true_labels.begin(), q.true_labels.end());
    std::sort(q.unknown_labels.begin(), q.unknown_labels.end());
    out.push_back(std::move(q));
  }
  return out;
}

Predictions five_class_view(const Predictions& multilabel, const std::vector<std::string>& class_names) {
  const auto& five = data::kClassNames;  // AR, AS, MR, MS, N
  const int normal = static_cast<int>(five.size()) - 1;
  if (!has_valve_outputs(class_names)) throw Error("five_class_view: the labels must include AR, AS, MR and MS");
  Predictions out;
  // valve_rows puts the four diseases in kClassNames order: label index = 5-class index.
  for (const auto& r : valve_rows(multilabel, class_names)) {
    if (r.true_labels.size() > 1 || !r.unknown_labels.empty()) continue;
    Prediction q = r;
    q.true_labels.clear(), q.thresholds.clear();
    q.true_class = r.true_labels.empty() ? normal : r.true_labels[0];
    std::vector<double> p(static_cast<size_t>(normal)), term(five.size(), 0.0);
    double none = 1;
    for (size_t c = 0; c < p.size(); ++c) {
      p[c] = std::clamp(double(r.probs[c]), 1e-7, 1 - 1e-7);
      none *= 1 - p[c];
    }
    term[normal] = none;
    for (size_t c = 0; c < p.size(); ++c) term[c] = none / (1 - p[c]) * p[c];
    double total = std::accumulate(term.begin(), term.end(), 0.0);
    q.probs.assign(five.size(), 0.0f);
    for (size_t c = 0; c < five.size(); ++c) q.probs[c] = static_cast<float>(term[c] / total);
    out.push_back(std::move(q));
  }
  return out;
}

}  // namespace murmur::eval
