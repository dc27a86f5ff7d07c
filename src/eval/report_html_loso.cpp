// The leave-one-source-out report page (murmur.loso/1, experiment/loso_run.h): one row per held-out
// source with its normal / abnormal score and interval, then the other outputs it could score.
#include <sstream>

#include "eval/json_text.h"
#include "eval/report.h"
#include "eval/text.h"
#include "util/assets.h"
#include "util/json.h"

namespace murmur::eval {

std::string render_loso_html(const nlohmann::json& report) {
  using namespace jt;
  const auto& run = at(report, "run");
  const std::string title = text_of(at(report, "title"));
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    << "<title>" << html_escape(title) << "</title><style>\n" << util::asset("style.css")
    << "</style></head><body class=\"report\">\n<h1>" << html_escape(title) << "</h1>\n";
  h << "<p class=\"sub\">murmur " << html_escape(text_of(at(run, "murmur_version"))) << " ("
    << html_escape(text_of(at(run, "git_commit"))) << ") &middot; " << html_escape(text_of(at(run, "created_utc")))
    << " &middot; training " << duration(num(at(run, "fold_training_time_s"))) << "</p>\n";
  h << "<p class=\"note\">Each source was held out in turn: a model trained on every other source was tested on "
       "it. MAcc is the mean of sensitivity and specificity for normal vs abnormal (PASCAL B: murmur vs normal), "
       "per recording, at the threshold chosen on the training sources' validation patients; the interval "
       "resamples the held-out patients. AUROC needs no threshold: where it is well above MAcc, the device moved "
       "the scores as a whole.</p>\n";
  h << "<h2>Normal vs abnormal, per held-out source</h2><div class=\"tw\"><table><thead><tr>";
  for (const char* c : {"held out", "recordings", "abnormal / normal", "MAcc", "sensitivity", "specificity", "AUROC",
                        "threshold", "murmur MAcc", "trained on"})
    h << "<th>" << c << "</th>";
  h << "</tr></thead><tbody>";
  for (const auto& s : at(report, "sources")) {
    const auto& outs = at(s, "outputs");
    const auto& a = at(outs, "abnormal");
    const auto& ci = at(a, "macc_ci");
    std::string trained;
    for (const auto& t : at(s, "trained_on_sources")) trained += (trained.empty() ? "" : ", ") + text_of(t);
    h << "<tr><td>" << html_escape(text_of(at(s, "source"))) << "</td><td>" << text_of(at(s, "n_recordings"))
      << "</td><td>" << text_of(at(a, "n_positive")) << " / " << text_of(at(a, "n_negative")) << "</td><td><b>"
      << fmt(num(at(a, "macc"))) << "</b><br><small>"
      << (ci.is_array() && ci.size() == 2 ? fmt(num(ci[0])) + "&ndash;" + fmt(num(ci[1])) : std::string()) << "</small></td><td>"
      << fmt(num(at(a, "sensitivity"))) << "</td><td>" << fmt(num(at(a, "specificity"))) << "</td><td>"
      << fmt(num(at(a, "auroc"))) << "</td><td>" << fmt(num(at(a, "threshold"))) << "</td><td>"
      << fmt(num(at(at(outs, "murmur"), "macc"))) << "</td><td class=\"wrap\"><small>" << html_escape(trained)
      << "</small></td></tr>";
  }
  const auto& sum = at(report, "summary");
  h << "</tbody></table></div>\n<p>Mean MAcc over the " << text_of(at(sum, "sources_scored")) << " sources scored: <b>"
    << fmt(num(at(sum, "mean_macc"))) << "</b>; lowest " << fmt(num(at(sum, "min_macc"))) << ".</p>\n";
  h << "<h2>Every output a source labels</h2><div class=\"tw\"><table><thead><tr><th>held out</th><th>output</th>"
       "<th>positive / negative</th><th>AUROC</th><th>sensitivity</th><th>specificity</th><th>MAcc</th></tr></thead><tbody>";
  for (const auto& s : at(report, "sources"))
    for (const auto& [name, o] : at(s, "outputs").items())
      h << "<tr><td>" << html_escape(text_of(at(s, "source"))) << "</td><td>" << html_escape(name) << "</td><td>"
        << text_of(at(o, "n_positive")) << " / " << text_of(at(o, "n_negative")) << "</td><td>" << fmt(num(at(o, "auroc")))
        << "</td><td>" << fmt(num(at(o, "sensitivity"))) << "</td><td>" << fmt(num(at(o, "specificity"))) << "</td><td>"
        << fmt(num(at(o, "macc"))) << "</td></tr>";
  h << "</tbody></table></div>\n";
  if (!at(run, "config").is_null())
    h << "<details><summary>Full configuration</summary><pre>" << html_escape(util::json_text(run["config"], 2))
      << "</pre></details>\n";
  const auto& machine = at(run, "machine");
  h << "<footer>murmur " << html_escape(text_of(at(run, "murmur_version"))) << " (commit "
    << html_escape(text_of(at(run, "git_commit"))) << ") &middot; " << html_escape(text_of(at(machine, "os")))
    << " &middot; " << html_escape(text_of(at(machine, "cores"))) << " cores &middot; data "
    << html_escape(text_of(at(run, "data_dir"))) << " (" << html_escape(text_of(at(run, "data_fingerprint")))
    << ")</footer>\n</body></html>\n";
  return h.str();
}

}  // namespace murmur::eval
