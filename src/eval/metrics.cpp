#include "eval/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <set>

#include "eval/fusion.h"
#include "eval/internal.h"
#include "util/error.h"

namespace murmur::eval {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();


}  // namespace

void check_rows(const Predictions& rows, int k) {
  for (const auto& r : rows) {
    if (static_cast<int>(r.probs.size()) != k)
      throw Error("predictions: " + r.file + ": " + std::to_string(r.probs.size()) +
                  " probabilities for " + std::to_string(k) + " classes");
    if (r.true_class < 0 || r.true_class >= k)
      throw Error("predictions: " + r.file + ": true_class " + std::to_string(r.true_class) +
                  " outside 0.." + std::to_string(k - 1));
  }
}

// ---------------------------------------------------------------- weighted row sets

RowSet::RowSet(const Predictions& rows, int n_classes) : k(n_classes) {
  check_rows(rows, k);
  n = static_cast<int>(rows.size());
  y.resize(n), pred.resize(n), score.resize(size_t(n) * k);
  for (int i = 0; i < n; ++i) {
    y[i] = rows[i].true_class;
    pred[i] = predicted_class(rows[i].probs);
    for (int c = 0; c < k; ++c) score[size_t(i) * k + c] = rows[i].probs[c];
  }
  order.resize(k), tie_start.resize(k);
  for (int c = 0; c < k; ++c) {
    auto& o = order[c];
    o.resize(n);
    std::iota(o.begin(), o.end(), 0);
    std::stable_sort(o.begin(), o.end(), [&](int a, int b) {
      return score[size_t(a) * k + c] > score[size_t(b) * k + c];
    });
    auto& t = tie_start[c];
    t.resize(n);
    for (int j = 0; j < n; ++j)
      t[j] = j == 0 || score[size_t(o[j]) * k + c] != score[size_t(o[j - 1]) * k + c];
  }
}

ClassMetrics RowSet::metrics(const std::vector<int>& w) const {
  ClassMetrics m;
  m.n_classes = k;
  m.confusion.assign(k, std::vector<int>(k, 0));
  long total = 0, correct = 0;
  for (int i = 0; i < n; ++i) {
    if (!w[i]) continue;
    m.confusion[y[i]][pred[i]] += w[i];
    total += w[i];
    if (y[i] == pred[i]) correct += w[i];
  }
  m.n_rows = static_cast<int>(total);
  m.accuracy = total ? double(correct) / total : kNaN;
  m.support.assign(k, 0);
  std::vector<long> predicted(k, 0);
  for (int t = 0; t < k; ++t)
    for (int p = 0; p < k; ++p) m.support[t] += m.confusion[t][p], predicted[p] += m.confusion[t][p];
  m.sensitivity.assign(k, kNaN), m.specificity.assign(k, kNaN), m.precision.assign(k, kNaN);
  m.f1.assign(k, kNaN), m.auroc.assign(k, kNaN);
  std::vector<double> f1_present;
  for (int c = 0; c < k; ++c) {
    double tp = m.confusion[c][c], fn = m.support[c] - tp, fp = predicted[c] - tp;
    double tn = total - tp - fn - fp;
    if (tp + fn > 0) m.sensitivity[c] = tp / (tp + fn);
    if (tn + fp > 0) m.specificity[c] = tn / (tn + fp);
    if (tp + fp > 0) m.precision[c] = tp / (tp + fp);
    if (2 * tp + fp + fn > 0) f1_present.push_back(m.f1[c] = 2 * tp / (2 * tp + fp + fn));
    // AUROC from the pre-sorted order: each negative scores 1 per positive above it, 1/2 per tie.
    double pos = m.support[c], neg = total - pos;
    if (pos > 0 && neg > 0) {
      const auto& o = order[c];
      const auto& ts = tie_start[c];
      double tp_above = 0, area = 0;
      for (int j = 0; j < n;) {
        double tp_g = 0, fp_g = 0;
        int e = j;
        do {
          int i = o[e];
          (y[i] == c ? tp_g : fp_g) += w[i];
          ++e;
        } while (e < n && !ts[e]);
        area += fp_g * (tp_above + 0.5 * tp_g);
        tp_above += tp_g;
        j = e;
      }
      m.auroc[c] = area / (pos * neg);
    }
  }
  m.balanced_accuracy = mean_of_defined(m.sensitivity);
  m.macro_f1 = f1_present.empty() ? kNaN
                                  : std::accumulate(f1_present.begin(), f1_present.end(), 0.0) /
                                        f1_present.size();
  m.macro_auroc = mean_of_defined(m.auroc);
  return m;
}

std::vector<double> scalar_vector(const ClassMetrics& m) {
  std::vector<double> v = {m.accuracy, m.balanced_accuracy, m.macro_f1, m.macro_auroc};
  for (int c = 0; c < m.n_classes; ++c) {
    v.push_back(m.sensitivity[c]), v.push_back(m.specificity[c]), v.push_back(m.precision[c]);
    v.push_back(m.f1[c]), v.push_back(m.auroc[c]);
  }
  return v;
}
int predicted_class(const std::vector<float>& probs) {
  return static_cast<int>(std::max_element(probs.begin(), probs.end()) - probs.begin());
}

ClassMetrics compute_metrics(const std::vector<int>& y_true,
                             const std::vector<std::vector<float>>& probs, int n_classes) {
  if (y_true.size() != probs.size())
    throw Error("compute_metrics: " + std::to_string(y_true.size()) + " labels but " +
                std::to_string(probs.size()) + " probability rows");
  Predictions rows(y_true.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    rows[i].file = "row " + std::to_string(i);
    rows[i].true_class = y_true[i], rows[i].probs = probs[i];
  }
  RowSet set(rows, n_classes);
  return set.metrics(std::vector<int>(set.n, 1));
}


double mean_of_defined(const std::vector<double>& v) {
  double s = 0;
  int n = 0;
  for (double x : v)
    if (!std::isnan(x)) s += x, ++n;
  return n ? s / n : kNaN;
}

RowsByPatient rows_by_patient(const Predictions& recordings) {
  RowsByPatient groups;
  for (const auto& r : recordings) {
    if (r.patient.empty()) throw Error("predictions: " + r.file + ": empty patient id");
    groups[{r.repeat, r.patient}].push_back(&r);
  }
  return groups;
}

Predictions aggregate_patients(const Predictions& recordings, std::vector<std::string>* warnings,
                               Fusion fusion) {
  Predictions out;
  for (auto& [key, rows] : rows_by_patient(recordings)) {
    Prediction p;
    p.patient = key.second, p.repeat = key.first;
    p.true_class = rows[0]->true_class, p.fold = rows[0]->fold;
    size_t k = rows[0]->probs.size();
    std::vector<std::vector<float>> probs;
    bool mixed_folds = false;
    for (const auto* r : rows) {
      if (r->true_class != p.true_class)
        throw Error("predictions: patient " + p.patient + ": recordings " + rows[0]->file + " and " +
                    r->file + " have different true classes (" + std::to_string(p.true_class) +
                    " vs " + std::to_string(r->true_class) + ")");
      if (r->probs.size() != k)
        throw Error("predictions: " + r->file + ": " + std::to_string(r->probs.size()) +
                    " probabilities, expected " + std::to_string(k));
      if (r->fold != p.fold) mixed_folds = true;
      probs.push_back(r->probs);
    }
    if (mixed_folds) {
      p.fold = -1;
      if (warnings)
        warnings->push_back("patient " + p.patient + " (repeat " + std::to_string(p.repeat) +
                            "): recordings in different folds (split not grouped by patient?)");
    }
    p.probs = fuse(probs, fusion);
    out.push_back(std::move(p));
  }
  return out;
}

nlohmann::json evaluate_level(const Predictions& rows, const std::vector<std::string>& class_names,
                              const BootstrapConfig& boot, bool with_roc) {
  boot.validate();
  const int k = static_cast<int>(class_names.size());
  RowSet set(rows, k);
  ClassMetrics m = set.metrics(std::vector<int>(set.n, 1));
  auto groups = patient_groups(rows);
  auto draws = bootstrap_scalars(set, groups, boot);

  nlohmann::json j;
  j["n_rows"] = m.n_rows;
  j["n_patients"] = groups.size();
  j["accuracy"] = stat_json(m.accuracy, draws, 0, boot);
  j["balanced_accuracy"] = stat_json(m.balanced_accuracy, draws, 1, boot);
  j["macro_f1"] = stat_json(m.macro_f1, draws, 2, boot);
  j["macro_auroc"] = stat_json(m.macro_auroc, draws, 3, boot);
  j["per_class"] = nlohmann::json::array();
  if (with_roc) j["roc"] = nlohmann::json::array();
  for (int c = 0; c < k; ++c) {
    size_t base = 4 + 5 * size_t(c);
    j["per_class"].push_back({{"class", class_names[c]},
                              {"support", m.support[c]},
                              {"sensitivity", stat_json(m.sensitivity[c], draws, base + 0, boot)},
                              {"specificity", stat_json(m.specificity[c], draws, base + 1, boot)},
                              {"precision", stat_json(m.precision[c], draws, base + 2, boot)},
                              {"f1", stat_json(m.f1[c], draws, base + 3, boot)},
                              {"auroc", stat_json(m.auroc[c], draws, base + 4, boot)}});
    if (!with_roc) continue;
    std::vector<bool> pos(set.n);
    std::vector<double> score(set.n);
    for (int i = 0; i < set.n; ++i) pos[i] = set.y[i] == c, score[i] = set.score[size_t(i) * k + c];
    RocCurve r = roc_curve(pos, score);
    auto round6 = [](std::vector<double> v) {
      for (double& x : v) x = std::round(x * 1e6) / 1e6;  // keeps report.json small and readable
      return v;
    };
    j["roc"].push_back({{"class", class_names[c]}, {"fpr", round6(r.fpr)}, {"tpr", round6(r.tpr)}});
  }
  j["confusion"] = m.confusion;
  return j;
}

namespace {

nlohmann::json fold_stats(const Predictions& rows, int k) {
  std::map<std::pair<int, int>, Predictions> groups;
  for (const auto& r : rows)
    if (r.fold >= 0) groups[{r.repeat, r.fold}].push_back(r);
  const char* names[] = {"accuracy", "balanced_accuracy", "macro_f1", "macro_auroc"};
  std::vector<std::vector<double>> values(4);
  nlohmann::json per_fold = nlohmann::json::array();
  for (auto& [key, g] : groups) {
    RowSet set(g, k);
    ClassMetrics m = set.metrics(std::vector<int>(set.n, 1));
    double v[] = {m.accuracy, m.balanced_accuracy, m.macro_f1, m.macro_auroc};
    nlohmann::json f = {{"repeat", key.first}, {"fold", key.second}, {"n_rows", m.n_rows}};
    for (int i = 0; i < 4; ++i) f[names[i]] = number_or_null(v[i]), values[i].push_back(v[i]);
    per_fold.push_back(f);
  }
  nlohmann::json j = {{"n", groups.size()}};
  for (int i = 0; i < 4; ++i) {
    std::vector<double> v;
    for (double x : values[i])
      if (!std::isnan(x)) v.push_back(x);
    double mean = v.empty() ? kNaN : std::accumulate(v.begin(), v.end(), 0.0) / v.size();
    double ss = 0;
    for (double x : v) ss += (x - mean) * (x - mean);
    double sd = v.size() > 1 ? std::sqrt(ss / (v.size() - 1)) : kNaN;
    j[names[i]] = {{"mean", number_or_null(mean)}, {"sd", number_or_null(sd)}};
  }
  j["per_fold"] = per_fold;
  return j;
}

}  // namespace

nlohmann::json evaluate(const Predictions& recordings, const std::vector<std::string>& class_names,
                        const BootstrapConfig& boot, Fusion fusion) {
  boot.validate();
  const int k = static_cast<int>(class_names.size());
  if (k < 2) throw Error("evaluate: need at least 2 class names, got " + std::to_string(k));
  if (recordings.empty()) throw Error("evaluate: no predictions");
  check_rows(recordings, k);
  std::set<std::pair<int, std::string>> seen;
  std::set<int> repeats, folds;
  std::set<std::string> files;
  for (const auto& r : recordings) {
    if (!r.file.empty() && !seen.insert({r.repeat, r.file}).second)
      throw Error("predictions: " + r.file + ": appears twice in repeat " + std::to_string(r.repeat));
    repeats.insert(r.repeat), folds.insert(r.fold), files.insert(r.file);
  }
  std::vector<std::string> warnings;
  Predictions patients = aggregate_patients(recordings, &warnings, fusion);

  nlohmann::json j;
  j["schema"] = "murmur.eval.metrics/1";
  j["class_names"] = class_names;
  j["bootstrap"] = boot;
  j["patient_fusion"] = fusion_name(fusion);
  j["n_repeats"] = repeats.size();
  j["n_folds"] = folds.size();
  j["n_patients"] = patient_groups(recordings).size();
  j["n_recordings"] = files.size();
  j["warnings"] = warnings;
  j["recording"] = evaluate_level(recordings, class_names, boot);
  j["patient"] = evaluate_level(patients, class_names, boot);
  std::map<std::string, Predictions> by_site, by_position;
  for (const auto& r : recordings) {
    if (!r.site.empty()) by_site[r.site].push_back(r);
    if (!r.position.empty()) by_position[r.position].push_back(r);
  }
  j["by_site"] = nlohmann::json::object();
  for (auto& [site, rows] : by_site) j["by_site"][site] = evaluate_level(rows, class_names, boot, false);
  j["by_position"] = nlohmann::json::object();
  for (auto& [pos, rows] : by_position) j["by_position"][pos] = evaluate_level(rows, class_names, boot, false);
  j["folds"] = {{"recording", fold_stats(recordings, k)}, {"patient", fold_stats(patients, k)}};
  return j;
}

}  // namespace murmur::eval
