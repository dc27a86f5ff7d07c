#include "pipeline/answer.h"

#include <algorithm>

#include "data/recording.h"
#include "util/error.h"
#include "util/number_text.h"

namespace murmur::pipeline {

nlohmann::json answer_json(const std::vector<std::string>& names, const std::vector<double>& probs,
                           const std::vector<float>& thresholds) {
  if (probs.size() != names.size()) throw Error("answer_json: " + std::to_string(probs.size()) + " probabilities for " +
                                                std::to_string(names.size()) + " classes");
  nlohmann::json p = nlohmann::json::object();
  for (size_t k = 0; k < names.size(); ++k) p[names[k]] = util::flush_probability(probs[k]);  // no subnormal noise
  if (thresholds.empty()) {
    size_t best = size_t(std::max_element(probs.begin(), probs.end()) - probs.begin());
    return {{"class", names.empty() ? "" : names[best]}, {"probabilities", p}};
  }
  if (thresholds.size() != names.size()) throw Error("answer_json: thresholds do not match the classes");
  // Valve diseases make the class and the verdict; other outputs (pooled's "abnormal", "murmur")
  // are findings said after them, and the class when no valve is named.
  nlohmann::json t = nlohmann::json::object(), findings = nlohmann::json::array();
  std::vector<std::string> valves, others;
  for (size_t k = 0; k < names.size(); ++k) {
    t[names[k]] = thresholds[k];
    if (probs[k] < thresholds[k]) continue;
    findings.push_back(names[k]);
    (data::class_index(names[k]) >= 0 ? valves : others).push_back(names[k]);
  }
  std::string joined, said, also;
  for (size_t i = 0; i < valves.size(); ++i) {
    joined += (i == 0 ? "" : "+") + valves[i];
    said += (i == 0 ? "" : i + 1 == valves.size() ? " and " : ", ") + valves[i];
  }
  for (auto& o : others) also += (also.empty() ? "; " : ", ") + o;
  if (joined.empty())  // no valve named: the class is the other findings ("abnormal+murmur"), or "N" below
    for (auto& o : others) joined += (joined.empty() ? "" : "+") + o;
  return {{"class", joined.empty() ? "N" : joined}, {"probabilities", p}, {"thresholds", t}, {"findings", findings},
          {"verdict", (valves.empty() ? std::string(others.empty() ? "no valve disease found" : "no valve disease named")
                                      : said + " suspected") + also}};
}

}  // namespace murmur::pipeline
