// Pieces of the HTML report shared by its files (report_html.cpp, report_html_ml.cpp); not part
// of the public API. Cells take Stats ({"value", "ci_low", "ci_high"}) from report JSON.
//
//   std::string t = table_open({"metric", "Patient"}) + "<tr><td>AUROC</td>" +
//                   stat_cell(level["macro_auroc"]) + "</tr>" + kTableClose;
//   std::string section = multilabel_html(report["metrics"]);    // murmur.eval.multilabel/1
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace murmur::eval::html {

std::string stat_cell(const nlohmann::json& stat);       // <td><b>value</b><br><small>lo–hi</small></td>
std::string mean_sd_cell(const nlohmann::json& mean_sd);  // <td>mean ± sd</td>
std::string table_open(const std::vector<std::string>& header);  // escaped header cells
extern const char* const kTableClose;

// The multi-label sections of a report (per-disease tables, summary over diseases, screening,
// label-set confusion, ROC and precision-recall curves per disease), from evaluate_multilabel().
std::string multilabel_html(const nlohmann::json& metrics);

// The calibration section (report["calibration"], eval/calibration.h); "" when null.
std::string calibration_html(const nlohmann::json& calibration);

// The shift bench section (report["shifts"], experiment/shift_bench.h); "" when null.
std::string shifts_html(const nlohmann::json& shifts);

// The explanations sections (report["explanations"], experiment/cv_explain.h); "" when null.
std::string explanations_html(const nlohmann::json& explanations);

}  // namespace murmur::eval::html
