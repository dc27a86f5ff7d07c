// Patient fusion: how a patient's recordings' probabilities become the patient's probabilities.
// The one place that knows the rules; reports, comparisons and the CLI name them through here.
//
//   murmur::eval::Fusion f = murmur::eval::parse_fusion("geometric");   // from a flag or a report
//   std::vector<float> patient = murmur::eval::fuse({rec1_probs, rec2_probs}, f);
//   std::string why = murmur::eval::fusion_rule(f);                     // a sentence for reports
//
// kMean:      p[c] = sum_r p_r[c] / R (summed in double, rounded to float once).
// kGeometric: the normalised geometric mean, a product of experts: s[c] = sum_r log(p_r[c] + 1e-7)
//             in double, then p[c] = exp((s[c] - max s) / R) / sum_c' exp((s[c'] - max s) / R).
#pragma once

#include <string>
#include <vector>

namespace murmur::eval {

enum class Fusion { kMean, kGeometric };

// "mean", "geometric".
const char* fusion_name(Fusion f);
// Inverse of fusion_name; murmur::Error "fusion: must be mean or geometric (got \"x\")".
Fusion parse_fusion(const std::string& name);
// One sentence for reports, e.g. "a patient's probabilities are the mean of its recordings'
// probabilities".
std::string fusion_rule(Fusion f);

// One patient's probabilities [K] from its recordings' (each [K]; at least one, all the same K,
// else murmur::Error).
std::vector<float> fuse(const std::vector<std::vector<float>>& recording_probs, Fusion f);

}  // namespace murmur::eval
