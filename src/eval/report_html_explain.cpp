// The explanations section of the HTML report (eval/report_parts.h), from report["explanations"]
// (experiment/cv_explain.h): does the model listen where a cardiologist would, and why each
// misclassified patient was answered as it was, with a link to its picture.
#include "eval/json_text.h"
#include "eval/report_parts.h"
#include "eval/text.h"

namespace murmur::eval::html {

using namespace jt;

std::string explanations_html(const nlohmann::json& x) {
  if (!x.is_object()) return "";
  std::string h = "<h2 id=\"explanations\">Why: does the model listen where a cardiologist would?</h2><p class=\"note\">" +
                  html_escape(text_of(at(x, "method"))) + ". Each test patient of repeat " + text_of(at(x, "repeat")) +
                  " is explained by the fold model that never saw it (" + text_of(at(x, "patients_explained")) +
                  " patients). A phase is the one whose masking costs at least " + fmt(num(at(x, "phase_ratio")), 2) +
                  " times the other's, else both; unclear when neither costs " + fmt(num(at(x, "min_drop")), 2) +
                  ". Counted: patients who have the disease and were told so. A cardiologist hears AS and MR in "
                  "systole, AR and MS in diastole.</p>";
  h += table_open({"disease", "expected phase", "patients", "systolic", "diastolic", "both", "unclear",
                   "share in the expected phase"});
  for (const auto& r : at(x, "listens")) {
    h += "<tr><td>" + html_escape(text_of(r["class"])) + "</td><td>" + html_escape(text_of(r["expected"])) + "</td>";
    for (const char* k : {"patients", "systolic", "diastolic", "both", "unclear"}) h += "<td>" + text_of(r[k]) + "</td>";
    h += "<td><b>" + fmt(num(r["share_expected"]), 2) + "</b></td></tr>";
  }
  h += kTableClose;
  const auto& wrong = at(x, "misclassified");
  h += "<h2>Why the misclassified patients were answered as they were</h2><p class=\"note\">" +
       std::to_string(wrong.size()) +
       " patients. The answer's explanation, and what the model heard for the true diagnosis, each from the "
       "patient's recording most sure of that class; the picture (beside this report, in explanations/) shows that "
       "recording with the phases shaded, the band relied on outlined and the probabilities with each part masked.</p>";
  if (!wrong.empty()) {
    h += table_open({"patient", "fold", "true", "answered", "why the answer", "what it heard for the true class", "picture"});
    for (const auto& w : wrong) {
      h += "<tr><td>" + html_escape(text_of(w["patient"])) + "</td><td>" + text_of(w["fold"]) + "</td><td>" +
           html_escape(text_of(w["true"])) + "</td><td>" + html_escape(text_of(w["answer"])) + "</td><td class=\"wrap\">" +
           html_escape(text_of(w["answer_explained"])) + "</td><td class=\"wrap\">" +
           html_escape(text_of(w["true_explained"])) + "</td><td>";
      if (w.contains("picture"))
        h += "<a href=\"" + html_escape(text_of(w["picture"])) + "\">picture</a>";
      h += "</td></tr>";
    }
    h += kTableClose;
  }
  const auto& skipped = at(x, "not_explained");
  if (skipped.is_array() && !skipped.empty()) {
    h += "<details><summary>" + std::to_string(skipped.size()) + " recordings could not be explained</summary><ul>";
    for (const auto& s : skipped) h += "<li>" + html_escape(text_of(s)) + "</li>";
    h += "</ul></details>";
  }
  return h;
}

}  // namespace murmur::eval::html
