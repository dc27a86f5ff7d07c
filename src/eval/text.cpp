#include "eval/text.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "eval/json_text.h"
#include "util/error.h"
#include "util/json.h"

namespace murmur::eval {

namespace jt {

const char* const kHeadline[4] = {"accuracy", "balanced_accuracy", "macro_f1", "macro_auroc"};
const char* const kHeadlineLabel[4] = {"Accuracy", "Balanced accuracy", "Macro-F1", "Macro AUROC"};

double num(const nlohmann::json& j) { return j.is_number() ? j.get<double>() : std::numeric_limits<double>::quiet_NaN(); }

const nlohmann::json& at(const nlohmann::json& j, const char* key) {
  static const nlohmann::json null_json;
  return j.is_object() && j.contains(key) ? j[key] : null_json;
}

std::string fmt(double x, int decimals) {
  if (std::isnan(x)) return "n/a";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, x);
  return buf;
}

std::string text_of(const nlohmann::json& j) {
  if (j.is_null()) return "";
  if (j.is_string()) return j.get<std::string>();
  return util::json_text(j);
}

std::string duration(double s) {
  if (std::isnan(s)) return "n/a";
  char buf[64];
  if (s < 120) std::snprintf(buf, sizeof buf, "%.1f s", s);
  else if (s < 7200) std::snprintf(buf, sizeof buf, "%.1f min", s / 60);
  else std::snprintf(buf, sizeof buf, "%.2f h", s / 3600);
  return buf;
}

}  // namespace jt

using namespace jt;

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// ---------------------------------------------------------------- plain text

std::string format_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size(), 0);
  auto cols = [](const std::string& s) {  // UTF-8 code points, so "±" counts as one column
    size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
  };
  for (size_t i = 0; i < header.size(); ++i) width[i] = cols(header[i]);
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size() && i < width.size(); ++i) width[i] = std::max(width[i], cols(r[i]));
  auto line = [&](const std::vector<std::string>& r) {
    std::string out;
    for (size_t i = 0; i < width.size(); ++i) {
      std::string cell = i < r.size() ? r[i] : "";
      std::string pad(width[i] - cols(cell), ' ');
      out += (i ? "  " : "") + (i == 0 ? cell + pad : pad + cell);
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(header);
  size_t total = 0;
  for (size_t i = 0; i < width.size(); ++i) total += width[i] + (i ? 2 : 0);
  out += std::string(total, '-') + "\n";
  for (const auto& r : rows) out += line(r);
  return out;
}

std::string format_stat(const nlohmann::json& stat, int decimals) {
  double v = num(at(stat, "value")), lo = num(at(stat, "ci_low")), hi = num(at(stat, "ci_high"));
  std::string out = fmt(v, decimals);
  if (!std::isnan(lo) || !std::isnan(hi)) out += " [" + fmt(lo, decimals) + ", " + fmt(hi, decimals) + "]";
  return out;
}

namespace {

// Multi-label: per disease at patient level, the summary over diseases, screening, and the 5-class
// view's balanced accuracy when the report has one.
std::string multilabel_summary(const nlohmann::json& m, const nlohmann::json& five) {
  std::string labels;
  for (const auto& c : m["class_names"]) labels += (labels.empty() ? "" : ", ") + text_of(c);
  std::string out = "Patients " + text_of(m["n_patients"]) + ", recordings " + text_of(m["n_recordings"]) + ", " +
                    text_of(m["n_repeats"]) + " repeat(s) x " + text_of(m["n_folds"]) + " folds; multi-label (" +
                    labels + "; normal = none), thresholds " + text_of(at(m, "thresholds")) + "; " +
                    fmt(100 * num(m["bootstrap"]["confidence"]), 0) + "% intervals resample patients\n\n";
  std::vector<std::vector<std::string>> pc;
  for (const auto& c : m["patient"]["per_class"])
    pc.push_back({text_of(c["class"]), text_of(c["support"]), format_stat(c["auroc"]),
                  format_stat(c["average_precision"]), format_stat(c["sensitivity"]), format_stat(c["specificity"])});
  out += "Patient level per disease\n" +
         format_table({"disease", "n", "AUROC", "average precision", "sensitivity", "specificity"}, pc);
  const auto& p = m["patient"];
  const auto& any = at(p, "any_disease");
  std::vector<std::vector<std::string>> rows = {
      {"Macro AUROC", format_stat(at(p, "macro_auroc")), format_stat(at(m["recording"], "macro_auroc"))},
      {"Macro average precision", format_stat(at(p, "macro_average_precision")),
       format_stat(at(m["recording"], "macro_average_precision"))},
      {"Exact match", format_stat(at(p, "exact_match")), format_stat(at(m["recording"], "exact_match"))},
      {"Hamming loss", format_stat(at(p, "hamming_loss")), format_stat(at(m["recording"], "hamming_loss"))},
      {"Any disease: sensitivity", format_stat(at(any, "sensitivity")),
       format_stat(at(at(m["recording"], "any_disease"), "sensitivity"))},
      {"Any disease: specificity", format_stat(at(any, "specificity")),
       format_stat(at(at(m["recording"], "any_disease"), "specificity"))}};
  out += "\n" + format_table({"metric", "patient", "recording"}, rows);
  if (five.is_object() && five.contains("patient"))
    out += "\n5-class view on " + text_of(at(five, "n_patients")) + " single-label patients: balanced accuracy " +
           format_stat(five["patient"]["balanced_accuracy"]) + " (patient), " +
           format_stat(five["recording"]["balanced_accuracy"]) + " (recording)\n";
  for (const auto& w : at(m, "warnings")) out += "warning: " + text_of(w) + "\n";
  return out;
}

}  // namespace

std::string format_summary(const nlohmann::json& report_or_metrics) {
  const nlohmann::json& m = report_or_metrics.contains("metrics") ? report_or_metrics["metrics"] : report_or_metrics;
  if (!m.contains("patient")) throw Error("format_summary: not a report or metrics JSON");
  if (at(m, "schema") == "murmur.eval.multilabel/1") return multilabel_summary(m, at(report_or_metrics, "five_class"));
  auto mean_sd = [](const nlohmann::json& ms) {
    double mean = num(at(ms, "mean")), sd = num(at(ms, "sd"));
    return fmt(mean) + (std::isnan(sd) ? "" : " ± " + fmt(sd));
  };
  std::vector<std::vector<std::string>> rows;
  for (int i = 0; i < 4; ++i)
    rows.push_back({kHeadlineLabel[i], format_stat(m["patient"][kHeadline[i]]),
                    format_stat(m["recording"][kHeadline[i]]),
                    mean_sd(at(at(m["folds"], "patient"), kHeadline[i]))});
  std::string out = "Patients " + text_of(m["n_patients"]) + ", recordings " + text_of(m["n_recordings"]) +
                    ", " + text_of(m["n_repeats"]) + " repeat(s) x " + text_of(m["n_folds"]) + " folds; " +
                    fmt(100 * num(m["bootstrap"]["confidence"]), 0) + "% intervals resample patients\n\n";
  out += format_table({"metric", "patient", "recording", "patient per fold"}, rows);
  std::vector<std::vector<std::string>> pc;
  for (const auto& c : m["patient"]["per_class"])
    pc.push_back({text_of(c["class"]), text_of(c["support"]), format_stat(c["sensitivity"]),
                  format_stat(c["specificity"]), format_stat(c["auroc"])});
  out += "\nPatient level per class\n" + format_table({"class", "n", "sensitivity", "specificity", "AUROC"}, pc);
  for (const auto& w : at(m, "warnings")) out += "warning: " + text_of(w) + "\n";
  return out;
}

}  // namespace murmur::eval
