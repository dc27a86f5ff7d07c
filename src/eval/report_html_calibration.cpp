// The calibration section of the HTML report (eval/report_parts.h), from report["calibration"]
// (eval/calibration.h): expected calibration error before and after the temperature, the
// reliability diagram, and selective accuracy (answer only above a confidence).
#include <cmath>

#include "eval/json_text.h"
#include "eval/report_parts.h"
#include "eval/svg.h"
#include "eval/text.h"

namespace murmur::eval::html {

using namespace jt;

namespace {

svg::Series reliability(const nlohmann::json& level, const std::string& name, size_t colour, bool dashed) {
  svg::Series s{name, svg::palette(colour), dashed, {}, {}};
  for (const auto& b : at(level, "bins"))
    if (num(b["n"]) > 0) s.x.push_back(num(b["confidence"])), s.y.push_back(num(b["accuracy"]));
  return s;
}

}  // namespace

std::string calibration_html(const nlohmann::json& c) {
  if (!c.is_object()) return "";
  const auto& before = at(c, "uncalibrated");
  std::string temps;
  if (const auto& t = at(c, "temperatures"); t.is_object())
    for (auto it = t.begin(); it != t.end(); ++it) temps += (temps.empty() ? "" : ", ") + fmt(num(it.value()), 2);
  std::string h = "<h2 id=\"calibration\">Calibration: do the probabilities mean what they say?</h2><p class=\"note\">"
                  "Expected calibration error (ECE) of the top answer's probability over " + text_of(at(c, "n_bins")) +
                  " equal bins: the mean gap between how sure the answers are and how often they are right. " +
                  (temps.empty() ? std::string("No temperature was fitted in this run.")
                                 : "Each fold's temperature was fitted on its validation patients (" + temps +
                                       "); before = the same answers with it undone.") + "</p>";
  h += table_open({"level", "answers", "ECE", "ECE before the temperature"});
  for (const char* lv : {"recording", "patient"})
    h += std::string("<tr><td>") + lv + "</td><td>" + text_of(at(at(c, lv), "n")) + "</td><td><b>" +
         fmt(num(at(at(c, lv), "ece"))) + "</b></td><td>" + fmt(num(at(at(before, lv), "ece"))) + "</td></tr>";
  h += kTableClose;
  std::vector<svg::Series> series{reliability(at(c, "recording"), "recordings", 0, false),
                                  reliability(at(c, "patient"), "patients", 1, false)};
  std::vector<std::pair<std::string, std::string>> items{{"recordings", svg::palette(0)}, {"patients", svg::palette(1)}};
  if (before.is_object()) {
    series.push_back(reliability(at(before, "recording"), "recordings, before", 0, true));
    items.push_back({"recordings, before the temperature (dashed)", svg::palette(0)});
  }
  h += "<div class=\"grid\"><figure>" +
       svg::line_chart(series, {"Reliability: accuracy against confidence", "confidence (bin mean)", "accuracy", true}) +
       svg::legend(items) + "</figure></div>";
  h += "<p class=\"note\">Selective accuracy: answer only when the top probability reaches a minimum, decline the "
       "rest (a declined recording is one to record again or refer).</p>";
  h += table_open({"minimum confidence", "recordings answered", "recording accuracy", "patients answered",
                   "patient accuracy"});
  const auto& rs = at(at(c, "recording"), "selective");
  const auto& ps = at(at(c, "patient"), "selective");
  for (size_t i = 0; i < rs.size() && i < ps.size(); ++i)
    h += "<tr><td>" + fmt(num(rs[i]["min_confidence"]), 1) + "</td><td>" + fmt(100 * num(rs[i]["coverage"]), 0) +
         "%</td><td>" + fmt(num(rs[i]["accuracy"])) + "</td><td>" + fmt(100 * num(ps[i]["coverage"]), 0) + "%</td><td>" +
         fmt(num(ps[i]["accuracy"])) + "</td></tr>";
  return h + kTableClose;
}

}  // namespace murmur::eval::html
