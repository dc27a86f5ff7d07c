// Heart rate and systolic interval from the autocorrelation (Schmidt et al. 2010), duration
// models (Schmidt's sound durations, Springer's interval spreads, widened), and the Viterbi over
// durations of a hidden semi-Markov model whose first and last segments may be cut by the
// recording's edges (the problem Springer et al. 2016 solve with their "extended" Viterbi).
#include <algorithm>
#include <cmath>
#include <limits>

#include "segment/segment_internal.h"

namespace murmur::segment::detail {

double expected_systolic_interval_s(double heart_rate_bpm) { return 0.49 - 0.0021 * heart_rate_bpm; }

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// Vertex of the parabola through (k-1, k, k+1): the peak between frames. Only at a local maximum,
// where it lies within half a frame of k (elsewhere a nearly flat parabola would throw it far).
double refine_peak(const std::vector<double>& r, int k) {
  if (k <= 0 || k + 1 >= static_cast<int>(r.size())) return k;
  double a = r[k - 1], b = r[k], c = r[k + 1], den = a - 2 * b + c;
  if (!(b >= a && b >= c && den < 0)) return k;
  return k + std::clamp(0.5 * (a - c) / den, -0.5, 0.5);
}

Duration gaussian_duration(double mean_frames, double sd_frames, double lo_frames, double hi_frames) {
  Duration d;
  d.min_frames = std::max(1, static_cast<int>(std::floor(lo_frames)));
  d.max_frames = std::max(d.min_frames, static_cast<int>(std::ceil(hi_frames)));
  std::vector<double> p;
  double total = 0;
  for (int k = d.min_frames; k <= d.max_frames; ++k) {
    double z = (k - mean_frames) / sd_frames;
    p.push_back(std::exp(-0.5 * z * z));
    total += p.back();
  }
  for (double v : p) d.log_p.push_back(std::log(v / total));
  d.log_survival.assign(d.max_frames, 0.0);
  double tail = 1;
  for (int k = 1; k <= d.max_frames; ++k) {
    d.log_survival[k - 1] = std::log(std::max(tail, 1e-300));
    if (k >= d.min_frames) tail -= p[k - d.min_frames] / total;
  }
  return d;
}

}  // namespace

std::vector<RateHypothesis> rate_hypotheses(const std::vector<float>& homomorphic, const SegmentConfig& cfg) {
  // The autocorrelation of log(envelope + its median), mean removed: compressed, so a burst of
  // crying, breathing or movement does not outweigh twenty heart cycles (measured on BMD-HS and
  // CirCor, docs/segment.md), while the quiet floor (below the median) stays flat.
  const int n = static_cast<int>(homomorphic.size());
  std::vector<float> sorted = homomorphic;
  std::nth_element(sorted.begin(), sorted.begin() + n / 2, sorted.end());
  const double offset = sorted[n / 2] + 1e-12;
  std::vector<double> y(n);
  double mean = 0;
  for (int t = 0; t < n; ++t) mean += (y[t] = std::log(homomorphic[t] + offset)) / n;
  for (double& v : y) v -= mean;
  const int lag_lo = static_cast<int>(std::floor(60.0 / cfg.max_heart_rate_bpm * kFrameRateHz));
  const int lag_hi = std::min(n - 2, static_cast<int>(std::ceil(60.0 / cfg.min_heart_rate_bpm * kFrameRateHz)));
  std::vector<double> r(std::max(lag_hi + 2, 1), 0.0);
  for (int k = 0; k < static_cast<int>(r.size()) && k < n; ++k) {
    double s = 0;
    for (int t = 0; t + k < n; ++t) s += y[t] * y[t + k];
    r[k] = s;
  }
  const double r0 = r[0];
  if (r0 > 0)
    for (double& v : r) v /= r0;
  std::vector<std::pair<double, int>> peaks;
  for (int k = std::max(1, lag_lo); k <= lag_hi; ++k)
    if (r[k] >= r[k - 1] && r[k] > r[k + 1]) peaks.push_back({r[k], k});
  if (peaks.empty()) {  // no periodicity in range: the strongest lag stands in
    int best = std::max(1, lag_lo);
    for (int k = best; k <= lag_hi; ++k)
      if (r[k] > r[best]) best = k;
    peaks.push_back({r[best], best});
  }
  std::sort(peaks.begin(), peaks.end(), std::greater<>());
  std::vector<RateHypothesis> out;
  for (int i = 0; i < std::min<int>(peaks.size(), cfg.max_candidates); ++i) {
    const auto [value, k] = peaks[i];
    // A much weaker peak is no rival: the decoder's likelihood would otherwise prefer a rate
    // that lets every murmur burst or split sound be a state of its own.
    if (i > 0 && !(value >= cfg.min_relative_autocorrelation * peaks[0].first)) break;
    const double period_frames = refine_peak(r, k);
    // Systole candidates: the strongest peaks in a window around the expected S1-S2 interval:
    // from 150 ms below it (and 0.2 of the period) to 100 ms above it, and at slow rates not past
    // half the period (the S2 -> S1 lag would win on recordings whose S1 and S2 look alike, and
    // the sounds would swap). Springer takes the highest peak between 0.2 s and half the period;
    // that fails at fast rates, where systole is the longer part of the cycle (it shortens less
    // than diastole), and when an extra sound (an opening snap, a split S2) adds its own peak:
    // the decoder, not the autocorrelation, picks between the candidates.
    const double period_s = period_frames / kFrameRateHz, expected_s = expected_systolic_interval_s(60 / period_s);
    const double shortest_s = std::max({cfg.min_systolic_interval_s, 0.2 * period_s, expected_s - 0.15});
    const double longest_s =
        std::min({cfg.max_systolic_interval_s, expected_s + 0.1, std::max(0.5 * period_s, expected_s + 0.08)});
    const int sys_lo = std::max(1, static_cast<int>(std::ceil(shortest_s * kFrameRateHz)));
    const int sys_hi = std::min(k - 1, static_cast<int>(std::floor(longest_s * kFrameRateHz)));
    std::vector<std::pair<double, int>> sys_peaks;
    for (int j = sys_lo; j <= sys_hi; ++j)
      if (r[j] >= r[j - 1] && r[j] > r[j + 1]) sys_peaks.push_back({r[j], j});
    if (sys_peaks.empty())  // no peak in the window: the expected interval stands in
      sys_peaks.push_back({0.0, std::clamp(static_cast<int>(std::lround(expected_s * kFrameRateHz)), sys_lo, std::max(sys_lo, sys_hi))});
    std::sort(sys_peaks.begin(), sys_peaks.end(), std::greater<>());
    for (int s = 0; s < std::min<int>(sys_peaks.size(), cfg.max_systole_candidates); ++s)
      out.push_back({60.0 * kFrameRateHz / period_frames, refine_peak(r, sys_peaks[s].second) / kFrameRateHz, value});
  }
  return out;
}

Durations durations_for(const RateHypothesis& h, const SegmentConfig& cfg) {
  const double fr = kFrameRateHz, period_s = 60.0 / h.heart_rate_bpm;
  auto sound = [&](double mean_s, double sd_s) {
    return gaussian_duration(mean_s * fr, sd_s * fr, (mean_s - 3 * sd_s) * fr, (mean_s + 3 * sd_s) * fr);
  };
  Durations d;
  d[0] = sound(cfg.s1_mean_s, cfg.s1_sd_s);
  d[2] = sound(cfg.s2_mean_s, cfg.s2_sd_s);
  double sys_mean_s = std::max(0.5 / fr, h.systolic_interval_s - cfg.s1_mean_s);
  d[1] = gaussian_duration(sys_mean_s * fr, cfg.systole_sd_s * fr, (sys_mean_s - 3.5 * cfg.systole_sd_s) * fr,
                           (sys_mean_s + 3.5 * cfg.systole_sd_s) * fr);
  double dia_mean_s = std::max(0.5 / fr, period_s - h.systolic_interval_s - cfg.s2_mean_s);
  double dia_sd_s = cfg.diastole_sd_fraction * dia_mean_s + cfg.diastole_sd_floor_s;
  d[3] = gaussian_duration(dia_mean_s * fr, dia_sd_s * fr, (dia_mean_s - 3.5 * dia_sd_s) * fr,
                           (dia_mean_s + 3.5 * dia_sd_s) * fr);
  return d;
}

Path decode(const std::vector<std::array<double, kNumStates>>& e, const Durations& durations) {
  const int n = static_cast<int>(e.size());
  // cum[j][t]: sum of state j's log emissions over frames [0, t).
  std::vector<std::array<double, kNumStates>> cum(n + 1);
  cum[0].fill(0.0);
  for (int t = 0; t < n; ++t)
    for (int j = 0; j < kNumStates; ++j) cum[t + 1][j] = cum[t][j] + e[t][j];
  auto span = [&](int j, int from, int to) { return cum[to][j] - cum[from][j]; };
  // best[t][j]: best score of a path whose segment of state j ends at frame t (exclusive), the
  // next segment then being state j + 1; arg[t][j]: that segment's duration.
  std::vector<std::array<double, kNumStates>> best(n + 1);
  std::vector<std::array<int, kNumStates>> arg(n + 1);
  const double log_start = -std::log(double(kNumStates));
  for (int t = 0; t <= n; ++t) {
    for (int j = 0; j < kNumStates; ++j) {
      const Duration& d = durations[j];
      const int prev = (j + kNumStates - 1) % kNumStates;
      double b = kNegInf;
      int a = 0;
      // A segment [t - k, t): the first one (t - k == 0) may have begun before the recording.
      for (int k = 1; k <= std::min(d.max_frames, t); ++k) {
        double s;
        if (t - k == 0) s = log_start + d.log_survival[k - 1];
        else if (k >= d.min_frames) s = best[t - k][prev] + d.log_p[k - d.min_frames];
        else continue;
        s += span(j, t - k, t);
        if (s > b) b = s, a = k;
      }
      best[t][j] = b;
      arg[t][j] = a;
    }
  }
  // The last segment [n - k, n) may go on after the recording: survival instead of density.
  double total = kNegInf;
  int last_state = 0, last_k = 1;
  for (int j = 0; j < kNumStates; ++j) {
    const Duration& d = durations[j];
    const int prev = (j + kNumStates - 1) % kNumStates;
    for (int k = 1; k <= std::min(d.max_frames, n); ++k) {
      double s = (n - k == 0 ? log_start : best[n - k][prev]) + d.log_survival[k - 1] + span(j, n - k, n);
      if (s > total) total = s, last_state = j, last_k = k;
    }
  }
  Path p;
  p.log_likelihood = total;
  p.states.assign(n, State::kS1);
  if (!std::isfinite(total)) return p;
  int t = n, j = last_state, k = last_k;
  while (t > 0) {
    for (int i = t - k; i < t; ++i) p.states[i] = static_cast<State>(j);
    t -= k;
    j = (j + kNumStates - 1) % kNumStates;
    if (t > 0) k = arg[t][j];
  }
  return p;
}

}  // namespace murmur::segment::detail
