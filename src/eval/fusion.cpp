#include "eval/fusion.h"

#include <algorithm>
#include <cmath>

#include "util/check.h"
#include "util/error.h"

namespace murmur::eval {

const char* fusion_name(Fusion f) { return f == Fusion::kGeometric ? "geometric" : "mean"; }

Fusion parse_fusion(const std::string& name) {
  if (name == "mean") return Fusion::kMean;
  if (name == "geometric") return Fusion::kGeometric;
  util::fail_setting("fusion", "must be mean or geometric", util::setting_text(name));
}

std::string fusion_rule(Fusion f) {
  if (f == Fusion::kGeometric)
    return "a patient's probabilities are the normalised geometric mean of its recordings' "
           "probabilities (mean of log-probabilities, renormalised)";
  return "a patient's probabilities are the mean of its recordings' probabilities";
}

// The arithmetic is that of the committed runs (docs/runs): double accumulation in recording
// order, 1e-7 inside the log, max subtracted before exp. Do not reorder: results are compared
// byte for byte.
std::vector<float> fuse(const std::vector<std::vector<float>>& recording_probs, Fusion f) {
  if (recording_probs.empty()) throw Error("fuse: no recordings");
  const bool geometric = f == Fusion::kGeometric;
  const size_t k = recording_probs[0].size();
  std::vector<double> sum(k, 0.0);
  for (const auto& probs : recording_probs) {
    if (probs.size() != k)
      throw Error("fuse: " + std::to_string(probs.size()) + " probabilities, expected " + std::to_string(k));
    for (size_t c = 0; c < k; ++c) sum[c] += geometric ? std::log(double(probs[c]) + 1e-7) : probs[c];
  }
  const size_t n = recording_probs.size();
  std::vector<float> out(k);
  if (k == 0) return out;
  if (geometric) {
    double top = *std::max_element(sum.begin(), sum.end()), total = 0;
    for (size_t c = 0; c < k; ++c) total += std::exp((sum[c] - top) / double(n));
    for (size_t c = 0; c < k; ++c) out[c] = static_cast<float>(std::exp((sum[c] - top) / double(n)) / total);
  } else {
    for (size_t c = 0; c < k; ++c) out[c] = static_cast<float>(sum[c] / n);
  }
  return out;
}

}  // namespace murmur::eval
