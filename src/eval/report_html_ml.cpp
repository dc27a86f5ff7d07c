// The multi-label sections of the HTML report (eval/report_parts.h).
#include <cmath>
#include <sstream>

#include "eval/json_text.h"
#include "eval/report_parts.h"
#include "eval/svg.h"
#include "eval/text.h"

namespace murmur::eval::html {

using namespace jt;
using namespace svg;

namespace {

const std::pair<const char*, const char*> kLevels[] = {{"patient", "Patient level"}, {"recording", "Recording level"}};

std::string per_disease_table(const nlohmann::json& level) {
  std::string out = table_open({"disease", "support", "AUROC", "Average precision", "Sensitivity", "Specificity"});
  for (const auto& pc : at(level, "per_class")) {
    out += "<tr><td>" + html_escape(text_of(pc["class"])) + "</td><td>" + text_of(pc["support"]) + "</td>";
    for (const char* m : {"auroc", "average_precision", "sensitivity", "specificity"}) out += stat_cell(at(pc, m));
    out += "</tr>";
  }
  return out + kTableClose;
}

// Precision against recall per disease, with each disease's prevalence (no skill) dashed.
std::string pr_svg(const nlohmann::json& level, const std::string& title) {
  std::vector<Series> series;
  std::vector<std::pair<std::string, std::string>> items;
  const auto& pr = at(level, "pr");
  for (size_t c = 0; c < pr.size(); ++c) {
    Series se;
    se.color = palette(c);
    for (size_t i = 0; i < pr[c]["recall"].size(); ++i)
      se.x.push_back(num(pr[c]["recall"][i])), se.y.push_back(num(pr[c]["precision"][i]));
    se.name = text_of(pr[c]["class"]) + " (AP " + fmt(num(at(at(level["per_class"][c], "average_precision"), "value"))) + ")";
    items.push_back({se.name, se.color});
    double prevalence = num(at(pr[c], "prevalence"));
    Series base;
    base.name = text_of(pr[c]["class"]) + " prevalence", base.color = se.color, base.dashed = true;
    base.x = {0, 1}, base.y = {prevalence, prevalence};
    series.push_back(std::move(se));
    if (!std::isnan(prevalence)) series.push_back(std::move(base));
  }
  LineChartOptions o;
  o.title = title, o.x_label = "recall (sensitivity)", o.y_label = "precision (PPV)";
  o.width = 360, o.height = 350;
  return line_chart(series, o) + legend(items);
}

}  // namespace

std::string multilabel_html(const nlohmann::json& m) {
  std::vector<std::string> labels = m["class_names"].get<std::vector<std::string>>();
  const auto& boot = m["bootstrap"];
  const std::string ci = fmt(100 * num(boot["confidence"]), 0) + "%";
  std::ostringstream h;
  h << "<h2>Per disease</h2><p class=\"note\">One independent probability per disease; normal = none. "
    << "A patient's probability is the mean of its recordings'. A disease counts as predicted when its "
    << "probability is at least the operating threshold (" << html_escape(text_of(at(m, "thresholds")))
    << "). Value in bold, " << ci << " interval below (patients resampled). Support = patients (or "
    << "recordings) with the disease" << (num(m["n_repeats"]) > 1 ? ", summed over repeats" : "") << ".</p>";
  for (auto [key, label] : kLevels) h << "<h3>" << label << "</h3>" << per_disease_table(m[key]);

  h << "<h2>Over all diseases</h2><p class=\"note\">Exact match: the predicted set of diseases equals the "
    << "true set. Hamming loss: share of wrong (row, disease) decisions. Any valve disease (screening): "
    << "disease present = at least one label, flagged = at least one disease predicted; its AUROC ranks "
    << "by 1 &minus; &prod;(1 &minus; p<sub>k</sub>).</p>";
  h << table_open({"metric", "Patient", "Recording", "Patient, per fold", "Recording, per fold"});
  struct Row {
    const char* label;
    const char* key;
    const char* sub;  // inside any_disease, or nullptr
    const char* fold_key;
  };
  const Row rows[] = {{"Macro AUROC", "macro_auroc", nullptr, "macro_auroc"},
                      {"Macro average precision", "macro_average_precision", nullptr, "macro_average_precision"},
                      {"Exact match", "exact_match", nullptr, "exact_match"},
                      {"Hamming loss", "hamming_loss", nullptr, "hamming_loss"},
                      {"Any valve disease: sensitivity", "any_disease", "sensitivity", "any_sensitivity"},
                      {"Any valve disease: specificity", "any_disease", "specificity", "any_specificity"},
                      {"Any valve disease: AUROC", "any_disease", "auroc", nullptr}};
  const auto& folds = at(m, "folds");
  for (const auto& r : rows) {
    h << "<tr><td>" << r.label << "</td>";
    for (auto [key, label] : kLevels) {
      const auto& st = at(at(m, key), r.key);
      h << stat_cell(r.sub ? at(st, r.sub) : st);
    }
    for (auto [key, label] : kLevels)
      h << (r.fold_key ? mean_sd_cell(at(at(folds, key), r.fold_key)) : std::string("<td></td>"));
    h << "</tr>";
  }
  h << kTableClose;
  h << "<p class=\"note\">Patients with a valve disease: " << text_of(at(at(m["patient"], "any_disease"), "support"))
    << "; without: " << text_of(at(at(m["patient"], "any_disease"), "n_normal")) << ".</p>";

  h << "<h2>Sensitivity and specificity per disease</h2><div class=\"grid\">";
  for (auto [key, label] : kLevels)
    h << "<figure>" << sens_spec_svg(m[key]["per_class"], label)
      << legend({{"sensitivity", "#1f77b4"}, {"specificity", "#ff7f0e"}}) << "</figure>";
  h << "</div>";

  h << "<h2>Label-set confusion</h2><p class=\"note\">Rows: true sets of diseases (the most common; "
    << "the rest pooled as &ldquo;other&rdquo;), columns: predicted sets. Counts; colour = share of the row.</p>"
    << "<div class=\"grid\">";
  for (auto [key, label] : kLevels) {
    const auto& ls = at(m[key], "label_sets");
    if (!ls.is_object()) continue;
    h << "<figure>"
      << confusion_svg(ls["counts"], ls["sets"].get<std::vector<std::string>>(),
                       label + std::string(" (n = ") + text_of(m[key]["n_rows"]) + ")")
      << "</figure>";
  }
  h << "</div>\n";

  h << "<h2>ROC curves per disease</h2><div class=\"grid\">";
  for (auto [key, label] : kLevels) h << "<figure>" << roc_svg(m[key], labels, label) << "</figure>";
  h << "</div>\n<h2>Precision-recall curves per disease</h2><p class=\"note\">Dashed: the disease's "
    << "prevalence, the precision of a model without skill.</p><div class=\"grid\">";
  for (auto [key, label] : kLevels) h << "<figure>" << pr_svg(m[key], label) << "</figure>";
  h << "</div>\n";
  return h.str();
}

}  // namespace murmur::eval::html
