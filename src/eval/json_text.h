// Small helpers that read report / metrics JSON leniently and format numbers, shared by the
// report and text files of src/eval (svg.cpp, report_html.cpp, text.cpp); not part of the API.
//
//   using namespace murmur::eval::jt;
//   fmt(num(at(stat, "value")))   // "0.812", or "n/a" when the key is missing or null
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace murmur::eval::jt {

// The headline metrics, JSON keys and their labels.
extern const char* const kHeadline[4];       // accuracy, balanced_accuracy, macro_f1, macro_auroc
extern const char* const kHeadlineLabel[4];  // Accuracy, Balanced accuracy, Macro-F1, Macro AUROC

double num(const nlohmann::json& j);                             // NaN unless a number
const nlohmann::json& at(const nlohmann::json& j, const char* key);  // null unless present
std::string fmt(double x, int decimals = 3);                      // fixed; "n/a" for NaN
std::string text_of(const nlohmann::json& j);                     // string as is, else dump; null: ""
std::string duration(double seconds);                             // "12.3 s", "4.5 min", "2.10 h"

}  // namespace murmur::eval::jt
