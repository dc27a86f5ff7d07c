// Plain text for the terminal (aligned tables, intervals, the headline summary of a run) and the
// HTML escaping every report text goes through.
//
//   std::cout << murmur::eval::format_summary(report);      // a report or an evaluate() result
//   murmur::eval::format_table({"metric", "value"}, {{"accuracy", "0.812"}});
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace murmur::eval {

// HTML-escapes & < > " '.
std::string html_escape(const std::string& text);

// Aligned columns: first column left-aligned, the others right-aligned; a rule under the header.
std::string format_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows);

// A Stat ({"value", "ci_low", "ci_high"}) as "0.812 [0.760, 0.861]"; null parts as "n/a".
std::string format_stat(const nlohmann::json& stat, int decimals = 3);

// Headline table (patient and recording level, intervals, fold mean +- sd) of a report or of an
// evaluate() result, then the per-class patient-level table. Multi-label (evaluate_multilabel()):
// per disease AUROC, AP, sensitivity, specificity; macro AUROC/AP, exact match, Hamming loss,
// screening; and the 5-class view's balanced accuracy when a report has "five_class".
std::string format_summary(const nlohmann::json& report_or_metrics);

}  // namespace murmur::eval
