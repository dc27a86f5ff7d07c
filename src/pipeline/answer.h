// The answer murmur gives for one recording or patient, from its probabilities: the class, or
// for multi-label models the findings over their thresholds and a verdict in words. Every
// command and the service answer in this shape.
//
//   nlohmann::json a = answer_json({"AR", "AS", "MR", "MS"}, {0.1, 0.8, 0.2, 0.1}, {0.5f, 0.5f, 0.5f, 0.5f});
//   a["class"]     // "AS"
//   a["verdict"]   // "AS suspected"
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace murmur::pipeline {

// {"class": argmax name, "probabilities": {name: p}} for probabilities [K] in class order. With
// thresholds (multi-label): "class" is the '+'-joined suspected diseases in class order ("AR+AS")
// or "N", plus "findings" [names], "thresholds" {name: t} and "verdict" ("AR and AS suspected" or
// "no valve disease found"). Outputs that are no valve disease (pooled's "abnormal", "murmur")
// follow in the verdict ("AS suspected; abnormal, murmur"; "no valve disease named; abnormal")
// and make the class when no valve is named ("abnormal+murmur").
nlohmann::json answer_json(const std::vector<std::string>& class_names, const std::vector<double>& probs,
                           const std::vector<float>& thresholds = {});

}  // namespace murmur::pipeline
