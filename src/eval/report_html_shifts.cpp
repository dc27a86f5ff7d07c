// The shift bench section of the HTML report (eval/report_parts.h), from report["shifts"]
// (experiment/shift_bench.h): balanced accuracy under each shift against the clean figure, and
// one chart per family of the accuracy against the shift's strength.
#include <cmath>
#include <map>

#include "eval/json_text.h"
#include "eval/report_parts.h"
#include "eval/svg.h"
#include "eval/text.h"

namespace murmur::eval::html {

using namespace jt;

std::string shifts_html(const nlohmann::json& x) {
  if (!x.is_object()) return "";
  const auto& clean = at(x, "clean");
  std::string h =
      "<h2 id=\"shifts\">Shift bench: other stethoscopes, rates, short clips, noise, gain</h2><p class=\"note\">"
      "Each test recording of repeat " + text_of(at(x, "repeat")) +
      " scored again by its fold model, changed as another device or room would change it (audio/shift.h says "
      "where each shape comes from). Crops: every whole clip of the recording is a row; a patient's clips are fused "
      "like its recordings. Balanced accuracy with 95% patient-bootstrap intervals; drop = clean minus shifted, "
      "in points. Answered: the share of rows whose top probability is 0.6 or more, and their accuracy. Unusable: "
      "the share the signal-quality check (audio/quality.h: clipping, silence, noise above 600 Hz) answers "
      "\"unusable recording\" instead of a class, and the recording balanced accuracy on the rest.</p>";
  h += table_open({"shift", "rows", "Recording balanced acc.", "drop", "Patient balanced acc.", "drop", "ECE",
                   "answered at 0.6", "their accuracy", "unusable", "Recording bal. acc. of the rest"});
  auto row = [&](const std::string& name, const nlohmann::json& j, bool with_drop) {
    const auto& sure = at(j, "answered_at_0.6");
    h += "<tr><td>" + html_escape(name) + "</td><td>" + text_of(at(j, "n_rows")) + "</td>" + stat_cell(at(j, "recording")) +
         "<td>" + (with_drop ? fmt(100 * num(at(j, "recording_drop")), 1) : "") + "</td>" + stat_cell(at(j, "patient")) +
         "<td>" + (with_drop ? fmt(100 * num(at(j, "patient_drop")), 1) : "") + "</td><td>" + fmt(num(at(j, "ece_recording"))) +
         "</td><td>" + fmt(100 * num(at(sure, "coverage")), 0) + "%</td><td>" + fmt(num(at(sure, "accuracy"))) + "</td><td>" +
         fmt(100 * num(at(at(j, "unusable"), "fraction")), 0) + "%</td>" + stat_cell(at(j, "usable_recording")) + "</tr>";
  };
  row("clean", clean, false);
  for (const auto& s : at(x, "shifts")) row(text_of(s["name"]), s, true);
  h += kTableClose;
  // Charts: accuracy against strength, one per family with a numeric strength.
  struct Family { const char* key; const char* title; const char* x_label; double x_scale; };
  const Family families[] = {{"rate", "Sample rate of the file", "kHz", 1e-3},
                             {"crop", "Clip length", "seconds", 1},
                             {"noise", "Added noise (patient level)", "SNR, dB", 1},
                             {"gain", "Gain, clipped", "dB", 1}};
  h += "<div class=\"grid\">";
  for (const auto& fam : families) {
    std::map<std::string, svg::Series> lines;
    for (const auto& s : at(x, "shifts")) {
      if (text_of(s["family"]) != fam.key) continue;
      const bool noise = std::string(fam.key) == "noise";
      const double xv = num(s["strength"]) * fam.x_scale;
      auto add = [&](const std::string& name, const char* level, bool dashed) {
        auto& l = lines[name];
        if (l.name.empty()) l = {name, svg::palette(lines.size() - 1), dashed, {}, {}};
        l.x.push_back(xv);
        l.y.push_back(num(at(s[level], "value")));
      };
      if (noise) add(text_of(s["kind"]), "patient", false);
      else add("patient", "patient", false), add("recording", "recording", true);
    }
    if (lines.empty()) continue;
    std::vector<svg::Series> series;
    std::vector<std::pair<std::string, std::string>> items;
    for (auto& [name, l] : lines) {
      series.push_back(l);
      items.push_back({name, l.color});
    }
    h += "<figure>" + svg::line_chart(series, {fam.title, fam.x_label, "balanced accuracy"}) + svg::legend(items) +
         "</figure>";
  }
  h += "</div>";
  const auto& failed = at(x, "failed");
  if (failed.is_array() && !failed.empty()) {
    h += "<details><summary>" + std::to_string(failed.size()) + " recordings could not be shifted</summary><ul>";
    for (const auto& f : failed) h += "<li>" + html_escape(text_of(f)) + "</li>";
    h += "</ul></details>";
  }
  return h;
}

}  // namespace murmur::eval::html
