#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "eval/metrics.h"

namespace murmur::eval {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}  // namespace

double roc_auc(const std::vector<bool>& is_positive, const std::vector<double>& score) {
  std::vector<size_t> o(score.size());
  std::iota(o.begin(), o.end(), 0);
  std::stable_sort(o.begin(), o.end(), [&](size_t a, size_t b) { return score[a] > score[b]; });
  double pos = 0, neg = 0, tp_above = 0, area = 0;
  for (size_t j = 0; j < o.size();) {
    double tp_g = 0, fp_g = 0;
    size_t e = j;
    do {
      (is_positive[o[e]] ? tp_g : fp_g) += 1;
      ++e;
    } while (e < o.size() && score[o[e]] == score[o[j]]);
    area += fp_g * (tp_above + 0.5 * tp_g);
    tp_above += tp_g, pos += tp_g, neg += fp_g;
    j = e;
  }
  return pos > 0 && neg > 0 ? area / (pos * neg) : kNaN;
}

RocCurve roc_curve(const std::vector<bool>& is_positive, const std::vector<double>& score) {
  std::vector<size_t> o(score.size());
  std::iota(o.begin(), o.end(), 0);
  std::stable_sort(o.begin(), o.end(), [&](size_t a, size_t b) { return score[a] > score[b]; });
  // One point per distinct threshold (sklearn's threshold_idxs), cumulative counts.
  std::vector<double> tps, fps, thr;
  double tp = 0, fp = 0;
  for (size_t j = 0; j < o.size(); ++j) {
    (is_positive[o[j]] ? tp : fp) += 1;
    if (j + 1 == o.size() || score[o[j + 1]] != score[o[j]])
      tps.push_back(tp), fps.push_back(fp), thr.push_back(score[o[j]]);
  }
  RocCurve r;
  if (tp == 0 || fp == 0) return r;
  // drop_intermediate: keep the ends and every point where the curve changes direction.
  std::vector<size_t> keep;
  for (size_t i = 0; i < tps.size(); ++i) {
    bool corner = i == 0 || i + 1 == tps.size() ||
                  (fps[i + 1] - 2 * fps[i] + fps[i - 1]) != 0 || (tps[i + 1] - 2 * tps[i] + tps[i - 1]) != 0;
    if (corner) keep.push_back(i);
  }
  r.fpr.push_back(0), r.tpr.push_back(0), r.thresholds.push_back(std::numeric_limits<double>::infinity());
  for (size_t i : keep) {
    r.fpr.push_back(fps[i] / fp), r.tpr.push_back(tps[i] / tp), r.thresholds.push_back(thr[i]);
  }
  return r;
}

}  // namespace murmur::eval
