#include <cmath>
#include <sstream>

#include "eval/fusion.h"
#include "eval/json_text.h"
#include "eval/report.h"
#include "eval/report_parts.h"
#include "eval/svg.h"
#include "util/assets.h"
#include "util/error.h"
#include "util/json.h"

namespace murmur::eval {

namespace html {

std::string stat_cell(const nlohmann::json& st) {
  using namespace jt;
  double v = num(at(st, "value")), lo = num(at(st, "ci_low")), hi = num(at(st, "ci_high"));
  std::string out = "<td><b>" + fmt(v) + "</b>";
  if (!std::isnan(lo)) out += "<br><small class=\"ci\">" + fmt(lo) + "&ndash;" + fmt(hi) + "</small>";
  return out + "</td>";
}

std::string mean_sd_cell(const nlohmann::json& ms) {
  using namespace jt;
  double m = num(at(ms, "mean")), sd = num(at(ms, "sd"));
  return "<td>" + fmt(m) + (std::isnan(sd) ? "" : " &plusmn; " + fmt(sd)) + "</td>";
}

std::string table_open(const std::vector<std::string>& header) {
  std::string out = "<div class=\"tw\"><table><thead><tr>";
  for (const auto& h : header) out += "<th>" + html_escape(h) + "</th>";
  return out + "</tr></thead><tbody>";
}
const char* const kTableClose = "</tbody></table></div>";

}  // namespace html

using namespace jt;
using namespace svg;
using namespace html;

namespace {

std::string breakdown_table(const nlohmann::json& groups, const std::string& what) {
  std::string out = table_open({what, "recordings", "patients", "Accuracy", "Balanced accuracy", "Macro-F1", "Macro AUROC"});
  for (auto it = groups.begin(); it != groups.end(); ++it) {
    out += "<tr><td>" + html_escape(it.key()) + "</td><td>" + text_of(it.value()["n_rows"]) + "</td><td>" +
           text_of(it.value()["n_patients"]) + "</td>";
    for (const char* m : kHeadline) out += stat_cell(it.value()[m]);
    out += "</tr>";
  }
  return out + kTableClose;
}

std::string per_class_table(const nlohmann::json& level) {
  std::string out = table_open({"class", "support", "Sensitivity", "Specificity", "Precision", "F1", "AUROC"});
  for (const auto& pc : level["per_class"]) {
    out += "<tr><td>" + html_escape(text_of(pc["class"])) + "</td><td>" + text_of(pc["support"]) + "</td>";
    for (const char* m : {"sensitivity", "specificity", "precision", "f1", "auroc"}) out += stat_cell(pc[m]);
    out += "</tr>";
  }
  return out + kTableClose;
}

// The fusion a report's metrics were made with: "patient_fusion", or where runs made before it
// had its own key kept it (inside "bootstrap"); mean when neither says.
Fusion fusion_of(const nlohmann::json& metrics) {
  const auto& top = at(metrics, "patient_fusion");
  if (top.is_string()) return parse_fusion(top.get<std::string>());
  const auto& old = at(at(metrics, "bootstrap"), "patient_fusion");
  if (old.is_string()) return parse_fusion(old.get<std::string>());
  return Fusion::kMean;
}

// Headline metrics to ROC curves of a murmur.eval.metrics/1 block; headings start with prefix.
std::string five_class_top(const nlohmann::json& m, const std::string& prefix) {
  std::vector<std::string> classes = m["class_names"].get<std::vector<std::string>>();
  const auto& boot = m["bootstrap"];
  const Fusion fusion = fusion_of(m);
  std::ostringstream h;
  // Headline.
  h << "<h2>" << prefix << "Headline metrics</h2><p class=\"note\">Patient level: " << html_escape(fusion_rule(fusion))
    << ". Value in bold, "
    << fmt(100 * num(boot["confidence"]), 0)
    << "% interval below (patients resampled). Fold columns: mean &plusmn; sd over (repeat, fold).</p>";
  h << table_open({"metric", "Patient", "Recording", "Patient, per fold", "Recording, per fold"});
  for (int i = 0; i < 4; ++i) {
    h << "<tr><td>" << kHeadlineLabel[i] << "</td>" << stat_cell(m["patient"][kHeadline[i]])
      << stat_cell(m["recording"][kHeadline[i]]) << mean_sd_cell(at(at(m["folds"], "patient"), kHeadline[i]))
      << mean_sd_cell(at(at(m["folds"], "recording"), kHeadline[i])) << "</tr>";
  }
  h << kTableClose;

  const std::pair<const char*, const char*> levels[] = {{"patient", "Patient level"}, {"recording", "Recording level"}};
  h << "<h2>" << prefix << "Confusion matrices</h2><p class=\"note\">Counts; colour = share of the true class's row.";
  if (num(m["n_repeats"]) > 1) h << " Counts are summed over the " << text_of(m["n_repeats"]) << " repeats.";
  h << "</p><div class=\"grid\">";
  for (auto [key, label] : levels)
    h << "<figure>" << confusion_svg(m[key]["confusion"], classes, label + std::string(" (n = ") + text_of(m[key]["n_rows"]) + ")")
      << "</figure>";
  h << "</div>\n";

  h << "<h2>" << prefix << "Sensitivity and specificity per class</h2><div class=\"grid\">";
  for (auto [key, label] : levels)
    h << "<figure>" << sens_spec_svg(m[key]["per_class"], label)
      << legend({{"sensitivity", "#1f77b4"}, {"specificity", "#ff7f0e"}}) << "</figure>";
  h << "</div>";
  for (auto [key, label] : levels) h << "<h3>" << label << "</h3>" << per_class_table(m[key]);

  h << "<h2>" << prefix << "ROC curves (one class vs rest)</h2><div class=\"grid\">";
  for (auto [key, label] : levels) h << "<figure>" << roc_svg(m[key], classes, label) << "</figure>";
  h << "</div>\n";

  return h.str();
}

// Loss and accuracy per fold, when the report has training curves.
std::string curves_html(const nlohmann::json& report) {
  std::ostringstream h;
  const auto& curves = at(report, "curves");
  if (curves.is_array() && !curves.empty()) {
    std::vector<Series> loss, acc;
    std::vector<std::pair<std::string, std::string>> items;
    bool several_repeats = false;
    for (const auto& c : curves) several_repeats |= num(c["repeat"]) != 0;
    for (size_t i = 0; i < curves.size(); ++i) {
      const auto& c = curves[i];
      std::string name = several_repeats ? "repeat " + text_of(c["repeat"]) + " fold " + text_of(c["fold"])
                                         : "fold " + text_of(c["fold"]);
      std::string colour = palette(i);
      items.push_back({name, colour});
      auto series = [&](const char* key, bool dashed) {
        Series s;
        s.name = name + " " + key, s.color = colour, s.dashed = dashed;
        for (size_t e = 0; e < c[key].size(); ++e) s.x.push_back(e + 1.0), s.y.push_back(num(c[key][e]));
        return s;
      };
      loss.push_back(series("train_loss", false));
      loss.push_back(series("val_loss", true));
      acc.push_back(series("val_acc", false));
    }
    LineChartOptions lo;
    lo.title = "Loss per epoch", lo.x_label = "epoch", lo.y_label = "loss";
    LineChartOptions ao;
    ao.title = "Validation accuracy per epoch", ao.x_label = "epoch", ao.y_label = "accuracy";
    h << "<h2>Training curves</h2><div class=\"grid\"><figure>" << line_chart(loss, lo) << legend(items, true)
      << "</figure><figure>" << line_chart(acc, ao) << legend(items) << "</figure></div>\n";
  }

  return h.str();
}

// By site, by position and per fold of a murmur.eval.metrics/1 block.
std::string five_class_bottom(const nlohmann::json& m, const std::string& prefix) {
  std::ostringstream h;
  h << "<h2>" << prefix << "By auscultation site (recording level)</h2>" << breakdown_table(m["by_site"], "site");
  h << "<h2>" << prefix << "By position (recording level)</h2>" << breakdown_table(m["by_position"], "position");

  h << "<h2>" << prefix << "Per fold</h2>"
    << table_open({"repeat", "fold", "patients", "Patient acc.", "Patient bal. acc.", "recordings",
                   "Recording acc.", "Recording bal. acc."});
  const auto& pf = at(at(m["folds"], "patient"), "per_fold");
  const auto& rf = at(at(m["folds"], "recording"), "per_fold");
  for (size_t i = 0; i < rf.size(); ++i) {
    const nlohmann::json* p = nullptr;
    for (const auto& x : pf)
      if (x["repeat"] == rf[i]["repeat"] && x["fold"] == rf[i]["fold"]) p = &x;
    h << "<tr><td>" << text_of(rf[i]["repeat"]) << "</td><td>" << text_of(rf[i]["fold"]) << "</td><td>"
      << (p ? text_of((*p)["n_rows"]) : "") << "</td><td>" << (p ? fmt(num((*p)["accuracy"])) : "")
      << "</td><td>" << (p ? fmt(num((*p)["balanced_accuracy"])) : "") << "</td><td>" << text_of(rf[i]["n_rows"])
      << "</td><td>" << fmt(num(rf[i]["accuracy"])) << "</td><td>" << fmt(num(rf[i]["balanced_accuracy"]))
      << "</td></tr>";
  }
  h << kTableClose;

  return h.str();
}

}  // namespace

std::string render_html(const nlohmann::json& report) {
  const auto& run = at(report, "run");
  const auto& m = at(report, "metrics");
  if (!m.is_object() || !m.contains("patient") || !m.contains("recording"))
    throw Error("render_html: report has no metrics (build it with eval::build_report)");
  std::vector<std::string> classes = m["class_names"].get<std::vector<std::string>>();
  const bool multi = at(m, "schema") == "murmur.eval.multilabel/1";
  const std::string title = text_of(at(report, "title"));
  const auto& machine = at(run, "machine");
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    << "<title>" << html_escape(title) << "</title><style>\n" << util::asset("style.css")
    << "</style></head><body class=\"report\">\n";
  h << "<h1>" << html_escape(title) << "</h1>\n";
  h << "<p class=\"sub\">murmur " << html_escape(text_of(at(run, "murmur_version"))) << " ("
    << html_escape(text_of(at(run, "git_commit"))) << ") &middot; " << html_escape(text_of(at(run, "created_utc")))
    << " &middot; wall time " << duration(num(at(run, "wall_time_s"))) << "</p>\n";

  // Run summary.
  const auto& boot = m["bootstrap"];
  const Fusion fusion = fusion_of(m);
  h << "<h2>Run</h2><div class=\"tw\"><table><tbody>";
  auto row = [&](const std::string& k, const std::string& v) {
    h << "<tr><td>" << html_escape(k) << "</td><td class=\"wrap\">" << html_escape(v) << "</td></tr>";
  };
  row("Recordings", text_of(m["n_recordings"]));
  row("Patients", text_of(m["n_patients"]));
  row(multi ? "Labels (multi-label; normal = none)" : "Classes", [&] {
    std::string s;
    for (const auto& c : classes) s += (s.empty() ? "" : ", ") + c;
    return s;
  }());
  row("Cross-validation", text_of(m["n_repeats"]) + " repeat(s) x " + text_of(m["n_folds"]) + " folds");
  // Runs written before "data_fingerprint" was the key carry "dataset_fingerprint".
  std::string fingerprint = text_of(at(run, "data_fingerprint"));
  if (fingerprint.empty()) fingerprint = text_of(at(run, "dataset_fingerprint"));
  row("Data fingerprint", (fingerprint.empty() ? "n/a" : fingerprint) + " (commit " +
                              (text_of(at(run, "git_commit")).empty() ? "n/a" : text_of(run["git_commit"])) + ")");
  if (multi)
    row("Patient fusion", "mean per label" + (at(report, "five_class").is_object()
                                                  ? std::string("; 5-class view: ") + fusion_name(fusion_of(report["five_class"]))
                                                  : std::string()));
  else
    row("Patient fusion", fusion_name(fusion));
  row("Intervals", fmt(100 * num(boot["confidence"]), 0) + "% bootstrap over patients, " +
                       text_of(boot["n_resamples"]) + " resamples, seed " + text_of(boot["seed"]));
  for (const char* key : {"command", "preset", "model"})
    if (run.contains(key)) row(key, text_of(run[key]));
  h << kTableClose;
  if (m.contains("warnings") && !m["warnings"].empty()) {
    h << "<div class=\"warn\"><b>Warnings</b><ul>";
    for (const auto& w : m["warnings"]) h << "<li>" << html_escape(text_of(w)) << "</li>";
    h << "</ul></div>";
  }
  if (!at(run, "config").is_null())
    h << "<details><summary>Full configuration</summary><pre>" << html_escape(util::json_text(run["config"], 2))
      << "</pre></details>\n";

  const auto& five = at(report, "five_class");
  if (multi) {
    h << multilabel_html(m) << curves_html(report);
    if (five.is_object() && five.contains("patient")) {
      h << "<h2 id=\"five-class\">The 5-class question</h2><p class=\"note\">" << html_escape(text_of(at(five, "note")))
        << "</p>" << five_class_top(five, "5-class: ") << five_class_bottom(five, "5-class: ");
    }
  } else {
    h << five_class_top(m, "") << curves_html(report) << five_class_bottom(m, "");
  }
  h << calibration_html(at(report, "calibration")) << shifts_html(at(report, "shifts"))
    << explanations_html(at(report, "explanations"));

  h << "<footer>murmur " << html_escape(text_of(at(run, "murmur_version"))) << " (commit "
    << html_escape(text_of(at(run, "git_commit"))) << ") &middot; " << html_escape(text_of(at(machine, "os")))
    << " &middot; " << html_escape(text_of(at(machine, "cores"))) << " cores";
  if (!at(machine, "threads").is_null()) h << ", " << html_escape(text_of(machine["threads"])) << " threads used";
  h << " &middot; wall time " << duration(num(at(run, "wall_time_s"))) << " &middot; created "
    << html_escape(text_of(at(run, "created_utc"))) << "</footer>\n</body></html>\n";
  return h.str();
}

}  // namespace murmur::eval
