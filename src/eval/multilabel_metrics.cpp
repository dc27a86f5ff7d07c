// Multi-label point metrics (eval/multilabel.h): weighted row sets for the patient bootstrap,
// average precision and precision-recall curves.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "eval/internal.h"
#include "eval/multilabel.h"
#include "util/error.h"

namespace murmur::eval {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();


// Cumulative true/false positives at each distinct score, descending (sklearn's
// _binary_clf_curve).
void cumulative_counts(const std::vector<bool>& pos, const std::vector<double>& score,
                       std::vector<double>* tps, std::vector<double>* fps, std::vector<double>* thr) {
  if (pos.size() != score.size()) throw Error("precision-recall: labels and scores differ in length");
  std::vector<size_t> o(score.size());
  std::iota(o.begin(), o.end(), 0);
  std::stable_sort(o.begin(), o.end(), [&](size_t a, size_t b) { return score[a] > score[b]; });
  double tp = 0, fp = 0;
  for (size_t j = 0; j < o.size(); ++j) {
    (pos[o[j]] ? tp : fp) += 1;
    if (j + 1 == o.size() || score[o[j + 1]] != score[o[j]])
      tps->push_back(tp), fps->push_back(fp), thr->push_back(score[o[j]]);
  }
}

}  // namespace

double average_precision(const std::vector<bool>& is_positive, const std::vector<double>& score) {
  std::vector<double> tps, fps, thr;
  cumulative_counts(is_positive, score, &tps, &fps, &thr);
  if (tps.empty() || tps.back() == 0) return kNaN;
  double ap = 0, prev_recall = 0;
  for (size_t i = 0; i < tps.size(); ++i) {
    double recall = tps[i] / tps.back();
    ap += (recall - prev_recall) * tps[i] / (tps[i] + fps[i]);
    prev_recall = recall;
  }
  return ap;
}

PrCurve pr_curve(const std::vector<bool>& is_positive, const std::vector<double>& score) {
  std::vector<double> tps, fps, thr;
  cumulative_counts(is_positive, score, &tps, &fps, &thr);
  PrCurve r;
  if (tps.empty() || tps.back() == 0) return r;
  r.recall.push_back(0), r.precision.push_back(1), r.thresholds.push_back(std::numeric_limits<double>::infinity());
  const size_t n = tps.size();
  for (size_t i = 0; i < n; ++i) {
    bool keep = i == 0 || i + 1 == n || tps[i] != tps[i - 1] || tps[i + 1] != tps[i];
    if (!keep) continue;
    r.recall.push_back(tps[i] / tps.back());
    r.precision.push_back(tps[i] / (tps[i] + fps[i]));
    r.thresholds.push_back(thr[i]);
  }
  return r;
}

LabelRowSet::LabelRowSet(const Predictions& rows, int n_labels) : k(n_labels) {
  check_multilabel_rows(rows, k);
  n = static_cast<int>(rows.size());
  truth.assign(size_t(n) * k, 0), decision.assign(size_t(n) * k, 0), score.assign(size_t(n) * (k + 1), 0);
  for (int i = 0; i < n; ++i) {
    const auto& r = rows[i];
    for (int l : r.true_labels) truth[size_t(i) * k + l] = 1;
    double none = 1;
    for (int c = 0; c < k; ++c) {
      double p = r.probs[c], t = r.thresholds.empty() ? 0.5 : r.thresholds[c];
      decision[size_t(i) * k + c] = p >= t;
      score[size_t(i) * (k + 1) + c] = p;
      none *= 1 - p;
    }
    score[size_t(i) * (k + 1) + k] = 1 - none;
  }
  order.resize(k + 1), tie_start.resize(k + 1);
  for (int c = 0; c <= k; ++c) {
    auto at = [&](int i) { return score[size_t(i) * (k + 1) + c]; };
    auto& o = order[c];
    o.resize(n);
    std::iota(o.begin(), o.end(), 0);
    std::stable_sort(o.begin(), o.end(), [&](int a, int b) { return at(a) > at(b); });
    auto& t = tie_start[c];
    t.resize(n);
    for (int j = 0; j < n; ++j) t[j] = j == 0 || at(o[j]) != at(o[j - 1]);
  }
}

MultiLabelMetrics LabelRowSet::metrics(const std::vector<int>& w) const {
  MultiLabelMetrics m;
  m.n_labels = k;
  m.support.assign(k, 0);
  m.auroc.assign(k, kNaN), m.average_precision.assign(k, kNaN);
  m.sensitivity.assign(k, kNaN), m.specificity.assign(k, kNaN);
  std::vector<double> tp(k, 0), fn(k, 0), tn(k, 0), fp(k, 0);
  double total = 0, exact = 0, wrong = 0, any_tp = 0, any_fn = 0, any_tn = 0, any_fp = 0;
  std::vector<char> any_truth(n, 0);
  for (int i = 0; i < n; ++i) {
    bool t_any = false, d_any = false, all_right = true;
    for (int c = 0; c < k; ++c) {
      bool t = truth[size_t(i) * k + c], d = decision[size_t(i) * k + c];
      t_any |= t, d_any |= d;
      if (t != d) all_right = false;
      if (!w[i]) continue;
      (t ? (d ? tp[c] : fn[c]) : (d ? fp[c] : tn[c])) += w[i];
      if (t != d) wrong += w[i];
    }
    any_truth[i] = t_any;
    if (!w[i]) continue;
    total += w[i];
    if (all_right) exact += w[i];
    (t_any ? (d_any ? any_tp : any_fn) : (d_any ? any_fp : any_tn)) += w[i];
  }
  m.n_rows = static_cast<int>(total);
  // AUROC (ties 1/2) and average precision of column c, from the pre-sorted order.
  auto ranked = [&](int c, double pos, double* auroc, double* ap) {
    double neg = total - pos, tp_above = 0, fp_above = 0, area = 0, sum = 0, prev_recall = 0;
    const auto& o = order[c];
    const auto& ts = tie_start[c];
    for (int j = 0; j < n;) {
      double tp_g = 0, fp_g = 0;
      int e = j;
      do {
        int i = o[e];
        bool positive = c < k ? truth[size_t(i) * k + c] : any_truth[i];
        (positive ? tp_g : fp_g) += w[i];
        ++e;
      } while (e < n && !ts[e]);
      area += fp_g * (tp_above + 0.5 * tp_g);
      tp_above += tp_g, fp_above += fp_g;
      if (tp_g > 0) {
        double recall = tp_above / pos;
        sum += (recall - prev_recall) * tp_above / (tp_above + fp_above);
        prev_recall = recall;
      }
      j = e;
    }
    *auroc = pos > 0 && neg > 0 ? area / (pos * neg) : kNaN;
    if (ap) *ap = pos > 0 ? sum : kNaN;
  };
  for (int c = 0; c < k; ++c) {
    double pos = tp[c] + fn[c];
    m.support[c] = static_cast<int>(pos);
    if (pos > 0) m.sensitivity[c] = tp[c] / pos;
    if (tn[c] + fp[c] > 0) m.specificity[c] = tn[c] / (tn[c] + fp[c]);
    ranked(c, pos, &m.auroc[c], &m.average_precision[c]);
  }
  m.macro_auroc = mean_of_defined(m.auroc);
  m.macro_average_precision = mean_of_defined(m.average_precision);
  m.exact_match = total > 0 ? exact / total : kNaN;
  m.hamming_loss = total > 0 && k > 0 ? wrong / (total * k) : kNaN;
  m.any_support = static_cast<int>(any_tp + any_fn), m.n_normal = static_cast<int>(any_tn + any_fp);
  m.any_sensitivity = any_tp + any_fn > 0 ? any_tp / (any_tp + any_fn) : kNaN;
  m.any_specificity = any_tn + any_fp > 0 ? any_tn / (any_tn + any_fp) : kNaN;
  ranked(k, any_tp + any_fn, &m.any_auroc, nullptr);
  return m;
}

std::vector<double> multilabel_scalars(const MultiLabelMetrics& m) {
  std::vector<double> v = {m.macro_auroc,     m.macro_average_precision, m.exact_match, m.hamming_loss,
                           m.any_sensitivity, m.any_specificity,         m.any_auroc};
  for (int c = 0; c < m.n_labels; ++c) {
    v.push_back(m.auroc[c]), v.push_back(m.average_precision[c]);
    v.push_back(m.sensitivity[c]), v.push_back(m.specificity[c]);
  }
  return v;
}

MultiLabelMetrics compute_multilabel_metrics(const Predictions& rows, int n_labels) {
  LabelRowSet set(rows, n_labels);
  return set.metrics(std::vector<int>(set.n, 1));
}

}  // namespace murmur::eval
