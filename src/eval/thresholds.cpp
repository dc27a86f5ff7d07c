#include "eval/thresholds.h"

#include <algorithm>
#include <map>

#include "util/error.h"

namespace murmur::eval {

std::vector<float> choose_thresholds(const Predictions& validation, int n_outputs, float fallback) {
  struct Patient {  // per output: the sum and count of the recordings that know it; positive if any says so
    std::vector<double> sum;
    std::vector<int> n;
    std::vector<bool> positive;
  };
  std::map<std::string, Patient> patients;
  for (const auto& row : validation) {
    if (int(row.probs.size()) != n_outputs)
      throw Error("thresholds: " + row.file + " has " + std::to_string(row.probs.size()) + " probabilities, expected " +
                  std::to_string(n_outputs));
    Patient& p = patients[std::to_string(row.repeat) + "/" + row.patient];
    if (p.sum.empty()) p.sum.assign(size_t(n_outputs), 0.0), p.n.assign(size_t(n_outputs), 0), p.positive.assign(size_t(n_outputs), false);
    for (int k = 0; k < n_outputs; ++k) {
      if (std::count(row.unknown_labels.begin(), row.unknown_labels.end(), k)) continue;
      p.sum[size_t(k)] += row.probs[size_t(k)];
      ++p.n[size_t(k)];
      if (std::count(row.true_labels.begin(), row.true_labels.end(), k)) p.positive[size_t(k)] = true;
    }
  }
  std::vector<float> out(size_t(n_outputs), fallback);
  for (int k = 0; k < n_outputs; ++k) {
    std::vector<std::pair<double, bool>> scored;  // (score, positive)
    for (auto& [id, p] : patients)
      if (p.n[size_t(k)] > 0) scored.push_back({p.sum[size_t(k)] / p.n[size_t(k)], p.positive[size_t(k)]});
    std::sort(scored.begin(), scored.end());
    const double pos = double(std::count_if(scored.begin(), scored.end(), [](auto& s) { return s.second; }));
    const double neg = double(scored.size()) - pos;
    if (pos == 0 || neg == 0) continue;
    // Candidate i: threshold between scored[i-1] and scored[i] (i = 0: below all; n: above all).
    std::vector<double> j_of(scored.size() + 1), t_of(scored.size() + 1);
    double tp = pos, tn = 0;
    for (size_t i = 0; i <= scored.size(); ++i) {
      if (i > 0) (scored[i - 1].second ? tp : tn) += scored[i - 1].second ? -1 : 1;
      const bool distinct = i == 0 || i == scored.size() || scored[i - 1].first < scored[i].first;
      j_of[i] = distinct ? tp / pos + tn / neg - 1 : -2;
      // Below every score, above every score, or between neighbours: always inside (0, 1).
      t_of[i] = i == 0 ? scored[0].first / 2 : i == scored.size() ? (scored.back().first + 1) / 2
                                                                   : (scored[i - 1].first + scored[i].first) / 2;
    }
    const double best = *std::max_element(j_of.begin(), j_of.end());
    std::vector<size_t> ties;
    for (size_t i = 0; i < j_of.size(); ++i)
      if (j_of[i] >= best - 1e-12) ties.push_back(i);
    out[size_t(k)] = float(std::clamp(t_of[ties[ties.size() / 2]], 1e-6, 1 - 1e-6));
  }
  return out;
}

}  // namespace murmur::eval
