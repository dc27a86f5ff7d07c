#include "eval/report.h"

#include <sys/utsname.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>
#include <sstream>
#include <thread>
#include <tuple>

#include "util/error.h"
#include "util/fs.h"

namespace murmur::eval {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
const char* kHeadline[] = {"accuracy", "balanced_accuracy", "macro_f1", "macro_auroc"};
const char* kHeadlineLabel[] = {"Accuracy", "Balanced accuracy", "Macro-F1", "Macro AUROC"};
// tab10: distinct on screen and in greyscale-ish print; cycled for more series.
const char* kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

double num(const nlohmann::json& j) { return j.is_number() ? j.get<double>() : kNaN; }

const nlohmann::json& at(const nlohmann::json& j, const char* key) {
  static const nlohmann::json null_json;
  return j.is_object() && j.contains(key) ? j[key] : null_json;
}

std::string fmt(double x, int decimals = 3) {
  if (std::isnan(x)) return "n/a";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, x);
  return buf;
}

std::string fmt_num(double x) {  // SVG coordinates
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", x);
  return buf;
}

std::string text_of(const nlohmann::json& j) {
  if (j.is_null()) return "";
  if (j.is_string()) return j.get<std::string>();
  return j.dump();
}

std::string duration(double s) {
  if (std::isnan(s)) return "n/a";
  char buf[64];
  if (s < 120) std::snprintf(buf, sizeof buf, "%.1f s", s);
  else if (s < 7200) std::snprintf(buf, sizeof buf, "%.1f min", s / 60);
  else std::snprintf(buf, sizeof buf, "%.2f h", s / 3600);
  return buf;
}

nlohmann::json floats(const std::vector<float>& v) {
  nlohmann::json a = nlohmann::json::array();
  for (float x : v) a.push_back(std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr));
  return a;
}

// ---------------------------------------------------------------- SVG pieces

struct Series {
  std::string name, color;
  bool dashed = false;
  std::vector<double> x, y;
};

// Rounded tick step giving about n ticks over [lo, hi].
double nice_step(double lo, double hi, int n) {
  double raw = (hi - lo) / std::max(1, n);
  if (raw <= 0) return 1;
  double p = std::pow(10, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * p >= raw) return m * p;
  return 10 * p;
}

std::string tick_label(double v, double step) {
  int decimals = step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
  return fmt(v, std::min(decimals, 4));
}

struct LineChartOptions {
  std::string title, x_label, y_label;
  bool fixed_unit_range = false;  // x and y in [0, 1] (ROC), square, with a diagonal
  int width = 420, height = 300;
};

std::string line_chart(const std::vector<Series>& series, const LineChartOptions& o) {
  double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  if (!o.fixed_unit_range) {
    x0 = y0 = std::numeric_limits<double>::infinity();
    x1 = y1 = -std::numeric_limits<double>::infinity();
    for (const auto& s : series)
      for (size_t i = 0; i < s.x.size(); ++i) {
        if (!std::isfinite(s.y[i])) continue;
        x0 = std::min(x0, s.x[i]), x1 = std::max(x1, s.x[i]);
        y0 = std::min(y0, s.y[i]), y1 = std::max(y1, s.y[i]);
      }
    if (!std::isfinite(x0)) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
    if (x1 <= x0) x1 = x0 + 1;
    if (y1 <= y0) y1 = y0 + 1;
    double pad = 0.05 * (y1 - y0);
    y0 -= pad, y1 += pad;
  }
  const double ml = 52, mr = 12, mt = 28, mb = 44;
  const int w = o.width, h = o.height;
  const double pw = w - ml - mr, ph = h - mt - mb;
  auto sx = [&](double x) { return ml + (x - x0) / (x1 - x0) * pw; };
  auto sy = [&](double y) { return mt + (1 - (y - y0) / (y1 - y0)) * ph; };
  std::ostringstream s;
  s << "<svg class=\"fig\" viewBox=\"0 0 " << w << " " << h << "\" role=\"img\" aria-label=\""
    << html_escape(o.title) << "\" xmlns=\"http://www.w3.org/2000/svg\">";
  s << "<title>" << html_escape(o.title) << "</title>";
  s << "<text x=\"" << w / 2 << "\" y=\"17\" class=\"t\" text-anchor=\"middle\">" << html_escape(o.title) << "</text>";
  // Grid and ticks.
  double ys = nice_step(y0, y1, 5), xs = nice_step(x0, x1, 6);
  for (double v = std::ceil(y0 / ys) * ys; v <= y1 + 1e-9; v += ys)
    s << "<line x1=\"" << fmt_num(ml) << "\" x2=\"" << fmt_num(ml + pw) << "\" y1=\"" << fmt_num(sy(v))
      << "\" y2=\"" << fmt_num(sy(v)) << "\" class=\"g\"/><text x=\"" << fmt_num(ml - 4) << "\" y=\""
      << fmt_num(sy(v) + 4) << "\" class=\"a\" text-anchor=\"end\">" << tick_label(v, ys) << "</text>";
  for (double v = std::ceil(x0 / xs) * xs; v <= x1 + 1e-9; v += xs)
    s << "<line y1=\"" << fmt_num(mt) << "\" y2=\"" << fmt_num(mt + ph) << "\" x1=\"" << fmt_num(sx(v))
      << "\" x2=\"" << fmt_num(sx(v)) << "\" class=\"g\"/><text x=\"" << fmt_num(sx(v)) << "\" y=\""
      << fmt_num(mt + ph + 14) << "\" class=\"a\" text-anchor=\"middle\">" << tick_label(v, xs) << "</text>";
  s << "<rect x=\"" << ml << "\" y=\"" << mt << "\" width=\"" << fmt_num(pw) << "\" height=\"" << fmt_num(ph)
    << "\" class=\"frame\"/>";
  s << "<text x=\"" << fmt_num(ml + pw / 2) << "\" y=\"" << h - 6 << "\" class=\"a\" text-anchor=\"middle\">"
    << html_escape(o.x_label) << "</text>";
  s << "<text transform=\"translate(12 " << fmt_num(mt + ph / 2) << ") rotate(-90)\" class=\"a\" text-anchor=\"middle\">"
    << html_escape(o.y_label) << "</text>";
  if (o.fixed_unit_range)
    s << "<line x1=\"" << fmt_num(sx(0)) << "\" y1=\"" << fmt_num(sy(0)) << "\" x2=\"" << fmt_num(sx(1))
      << "\" y2=\"" << fmt_num(sy(1)) << "\" class=\"diag\"/>";
  for (const auto& se : series) {
    std::string pts;
    for (size_t i = 0; i < se.x.size(); ++i) {
      if (!std::isfinite(se.y[i])) continue;
      pts += fmt_num(sx(se.x[i])) + "," + fmt_num(sy(se.y[i])) + " ";
    }
    if (pts.empty()) continue;
    s << "<polyline fill=\"none\" stroke=\"" << se.color << "\" stroke-width=\"1.8\""
      << (se.dashed ? " stroke-dasharray=\"5 3\"" : "") << " points=\"" << pts << "\"><title>"
      << html_escape(se.name) << "</title></polyline>";
  }
  s << "</svg>";
  return s.str();
}

// Legend as HTML (wraps on narrow screens, unlike SVG text).
std::string legend(const std::vector<std::pair<std::string, std::string>>& items, bool dashed_second = false) {
  std::string out = "<div class=\"legend\">";
  for (const auto& [name, color] : items)
    out += "<span><i style=\"background:" + color + "\"></i>" + html_escape(name) + "</span>";
  if (dashed_second) out += "<span>solid: train, dashed: validation</span>";
  return out + "</div>";
}

// White -> dark blue; frac in [0, 1].
std::string heat_colour(double frac) {
  frac = std::clamp(std::isnan(frac) ? 0.0 : frac, 0.0, 1.0);
  int r = static_cast<int>(std::lround(247 + (8 - 247) * frac));
  int g = static_cast<int>(std::lround(251 + (48 - 251) * frac));
  int b = static_cast<int>(std::lround(255 + (107 - 255) * frac));
  char buf[16];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", r, g, b);
  return buf;
}

std::string confusion_svg(const nlohmann::json& confusion, const std::vector<std::string>& classes,
                          const std::string& title) {
  const int k = static_cast<int>(classes.size());
  const int cell = 56, ml = 70, mt = 50, mb = 16;
  const int w = ml + k * cell + 10, h = mt + k * cell + mb;
  std::ostringstream s;
  s << "<svg class=\"fig\" viewBox=\"0 0 " << w << " " << h << "\" role=\"img\" aria-label=\""
    << html_escape(title) << "\" xmlns=\"http://www.w3.org/2000/svg\"><title>" << html_escape(title) << "</title>";
  s << "<text x=\"" << w / 2 << "\" y=\"16\" class=\"t\" text-anchor=\"middle\">" << html_escape(title) << "</text>";
  s << "<text x=\"" << ml + k * cell / 2 << "\" y=\"32\" class=\"a\" text-anchor=\"middle\">predicted</text>";
  s << "<text transform=\"translate(12 " << mt + k * cell / 2 << ") rotate(-90)\" class=\"a\" text-anchor=\"middle\">true</text>";
  for (int c = 0; c < k; ++c) {
    s << "<text x=\"" << ml + c * cell + cell / 2 << "\" y=\"" << mt - 4 << "\" class=\"a\" text-anchor=\"middle\">"
      << html_escape(classes[c]) << "</text>";
    s << "<text x=\"" << ml - 6 << "\" y=\"" << mt + c * cell + cell / 2 + 4 << "\" class=\"a\" text-anchor=\"end\">"
      << html_escape(classes[c]) << "</text>";
  }
  for (int t = 0; t < k; ++t) {
    double row = 0;
    for (int p = 0; p < k; ++p) row += num(confusion[t][p]);
    for (int p = 0; p < k; ++p) {
      double n = num(confusion[t][p]), frac = row > 0 ? n / row : 0;
      int x = ml + p * cell, y = mt + t * cell;
      s << "<rect x=\"" << x << "\" y=\"" << y << "\" width=\"" << cell << "\" height=\"" << cell
        << "\" fill=\"" << heat_colour(frac) << "\" stroke=\"#fff\"><title>true " << html_escape(classes[t])
        << ", predicted " << html_escape(classes[p]) << ": " << fmt(n, 0) << " (" << fmt(100 * frac, 0)
        << "% of row)</title></rect>";
      const char* ink = frac > 0.5 ? "#fff" : "#222";
      s << "<text x=\"" << x + cell / 2 << "\" y=\"" << y + cell / 2 + 1 << "\" fill=\"" << ink
        << "\" class=\"n\" text-anchor=\"middle\">" << fmt(n, 0) << "</text>";
      s << "<text x=\"" << x + cell / 2 << "\" y=\"" << y + cell / 2 + 15 << "\" fill=\"" << ink
        << "\" class=\"s\" text-anchor=\"middle\">" << fmt(100 * frac, 0) << "%</text>";
    }
  }
  s << "</svg>";
  return s.str();
}

// Horizontal bars per class: sensitivity and specificity with their intervals as whiskers.
std::string sens_spec_svg(const nlohmann::json& per_class, const std::string& title) {
  const int k = static_cast<int>(per_class.size());
  const int ml = 50, mr = 16, mt = 28, mb = 30, bar = 11, group = 2 * bar + 10, w = 420;
  const int h = mt + k * group + mb;
  const double pw = w - ml - mr;
  auto sx = [&](double v) { return ml + std::clamp(v, 0.0, 1.0) * pw; };
  std::ostringstream s;
  s << "<svg class=\"fig\" viewBox=\"0 0 " << w << " " << h << "\" role=\"img\" aria-label=\""
    << html_escape(title) << "\" xmlns=\"http://www.w3.org/2000/svg\"><title>" << html_escape(title) << "</title>";
  s << "<text x=\"" << w / 2 << "\" y=\"17\" class=\"t\" text-anchor=\"middle\">" << html_escape(title) << "</text>";
  for (double v = 0; v <= 1.0001; v += 0.25)
    s << "<line x1=\"" << fmt_num(sx(v)) << "\" x2=\"" << fmt_num(sx(v)) << "\" y1=\"" << mt << "\" y2=\""
      << mt + k * group << "\" class=\"g\"/><text x=\"" << fmt_num(sx(v)) << "\" y=\"" << mt + k * group + 14
      << "\" class=\"a\" text-anchor=\"middle\">" << fmt(v, 2) << "</text>";
  const char* keys[] = {"sensitivity", "specificity"};
  const char* colours[] = {"#1f77b4", "#ff7f0e"};
  for (int c = 0; c < k; ++c) {
    int y = mt + c * group + 4;
    s << "<text x=\"" << ml - 6 << "\" y=\"" << y + bar + 4 << "\" class=\"a\" text-anchor=\"end\">"
      << html_escape(text_of(per_class[c]["class"])) << "</text>";
    for (int m = 0; m < 2; ++m) {
      const auto& st = per_class[c][keys[m]];
      double v = num(at(st, "value")), lo = num(at(st, "ci_low")), hi = num(at(st, "ci_high"));
      int yy = y + m * bar;
      if (!std::isnan(v))
        s << "<rect x=\"" << ml << "\" y=\"" << yy << "\" width=\"" << fmt_num(sx(v) - ml) << "\" height=\""
          << bar - 1 << "\" fill=\"" << colours[m] << "\"><title>" << keys[m] << " " << fmt(v) << " ["
          << fmt(lo) << ", " << fmt(hi) << "]</title></rect>";
      if (!std::isnan(lo) && !std::isnan(hi))
        s << "<path d=\"M" << fmt_num(sx(lo)) << " " << yy + 1 << "v" << bar - 3 << "M" << fmt_num(sx(lo)) << " "
          << fmt_num(yy + bar / 2.0 - 0.5) << "H" << fmt_num(sx(hi)) << "M" << fmt_num(sx(hi)) << " " << yy + 1
          << "v" << bar - 3 << "\" class=\"ci\"/>";
    }
  }
  s << "</svg>";
  return s.str();
}

std::string roc_svg(const nlohmann::json& level, const std::vector<std::string>& classes,
                    const std::string& title) {
  std::vector<Series> series;
  std::vector<std::pair<std::string, std::string>> items;
  for (size_t c = 0; c < classes.size(); ++c) {
    Series se;
    se.color = kPalette[c % 10];
    const auto& roc = level["roc"][c];
    for (size_t i = 0; i < roc["fpr"].size(); ++i) se.x.push_back(num(roc["fpr"][i])), se.y.push_back(num(roc["tpr"][i]));
    std::string auc = fmt(num(at(level["per_class"][c]["auroc"], "value")));
    se.name = classes[c] + " (AUROC " + auc + ")";
    items.push_back({se.name, se.color});
    series.push_back(std::move(se));
  }
  LineChartOptions o;
  o.title = title, o.x_label = "1 - specificity (false positive rate)", o.y_label = "sensitivity";
  o.fixed_unit_range = true, o.width = 360, o.height = 350;
  return line_chart(series, o) + legend(items);
}

// ---------------------------------------------------------------- HTML pieces

std::string stat_cell(const nlohmann::json& st) {
  double v = num(at(st, "value")), lo = num(at(st, "ci_low")), hi = num(at(st, "ci_high"));
  std::string out = "<td><b>" + fmt(v) + "</b>";
  if (!std::isnan(lo)) out += "<br><small class=\"ci\">" + fmt(lo) + "&ndash;" + fmt(hi) + "</small>";
  return out + "</td>";
}

std::string mean_sd_cell(const nlohmann::json& ms) {
  double m = num(at(ms, "mean")), sd = num(at(ms, "sd"));
  return "<td>" + fmt(m) + (std::isnan(sd) ? "" : " &plusmn; " + fmt(sd)) + "</td>";
}

std::string table_open(const std::vector<std::string>& header) {
  std::string out = "<div class=\"tw\"><table><thead><tr>";
  for (const auto& h : header) out += "<th>" + html_escape(h) + "</th>";
  return out + "</tr></thead><tbody>";
}
const char* kTableClose = "</tbody></table></div>";

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

const char* kCss = R"(
:root{color-scheme:light}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1d1d1f;
background:#fff;margin:0 auto;max-width:1100px;padding:12px 16px 40px;line-height:1.45}
h1{font-size:1.6em;margin:.4em 0 .1em}h2{font-size:1.25em;margin:1.6em 0 .5em;border-bottom:2px solid #e5e5ea;padding-bottom:.2em}
h3{font-size:1em;margin:1em 0 .4em}
.sub{color:#555;margin:0 0 1em}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(290px,1fr));gap:18px 28px;align-items:start}
figure{margin:0}svg.fig{width:100%;height:auto;max-width:480px;display:block}
svg text{font-family:inherit}
.t{font-size:13px;font-weight:600;fill:#1d1d1f}.a{font-size:11px;fill:#444}.n{font-size:14px;font-weight:600}.s{font-size:10px}
.g{stroke:#e5e5ea;stroke-width:1}.frame{fill:none;stroke:#bbb}.diag{stroke:#999;stroke-dasharray:4 4}
.ci{stroke:#222;stroke-width:1.2;fill:none}
.tw{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;margin:.3em 0 1em;font-size:.92em}
th,td{padding:4px 10px;border-bottom:1px solid #e5e5ea;text-align:right;vertical-align:top;white-space:nowrap}
th:first-child,td:first-child{text-align:left}th{background:#f5f5f7}
small.ci{color:#666;font-size:.85em}
.legend{font-size:.85em;color:#333;margin:.2em 0 0}.legend span{display:inline-block;margin:0 12px 2px 0}
.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px;border-radius:2px}
.warn{background:#fff4e5;border-left:4px solid #ff9500;padding:8px 12px;margin:1em 0}
details pre{background:#f5f5f7;padding:10px;overflow-x:auto;font-size:.85em}
.note{color:#555;font-size:.9em}
footer{margin-top:2.5em;color:#666;font-size:.85em;border-top:1px solid #e5e5ea;padding-top:.6em}
@media (max-width:600px){body{padding:8px}h1{font-size:1.3em}th,td{padding:3px 6px}}
)";

}  // namespace

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

nlohmann::json build_report(const Predictions& predictions, const Curves& curves,
                            const std::vector<std::string>& class_names, const nlohmann::json& meta,
                            const BootstrapConfig& boot) {
  if (!meta.is_null() && !meta.is_object()) throw Error("build_report: meta must be a JSON object");
  nlohmann::json r;
  r["schema"] = "murmur.report/1";
  r["title"] = meta.is_object() && meta.contains("title") ? meta["title"] : nlohmann::json("murmur cross-validation report");
  nlohmann::json run = nlohmann::json::object();
  if (meta.is_object())
    for (auto it = meta.begin(); it != meta.end(); ++it)
      if (it.key() != "title") run[it.key()] = it.value();
  if (!run.contains("murmur_version")) run["murmur_version"] = MURMUR_VERSION;
  if (!run.contains("git_commit")) run["git_commit"] = MURMUR_GIT_COMMIT;
  if (!run.contains("created_utc")) {
    std::time_t now = std::time(nullptr);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    run["created_utc"] = buf;
  }
  for (const char* key : {"config", "data_fingerprint", "wall_time_s"})
    if (!run.contains(key)) run[key] = nullptr;
  if (!run.contains("machine") || !run["machine"].is_object()) run["machine"] = nlohmann::json::object();
  if (!run["machine"].contains("cores")) run["machine"]["cores"] = std::thread::hardware_concurrency();
  if (!run["machine"].contains("os")) {
    utsname u{};
    if (uname(&u) == 0) run["machine"]["os"] = std::string(u.sysname) + " " + u.release + " " + u.machine;
  }
  r["run"] = run;
  r["metrics"] = evaluate(predictions, class_names, boot);
  r["curves"] = nlohmann::json::array();
  std::vector<Curve> sorted = curves;
  std::sort(sorted.begin(), sorted.end(), [](const Curve& a, const Curve& b) {
    return std::tie(a.repeat, a.fold) < std::tie(b.repeat, b.fold);
  });
  for (const auto& c : sorted)
    r["curves"].push_back({{"repeat", c.repeat}, {"fold", c.fold}, {"train_loss", floats(c.train_loss)},
                           {"val_loss", floats(c.val_loss)}, {"val_acc", floats(c.val_acc)}});
  return r;
}

std::string render_html(const nlohmann::json& report) {
  const auto& run = at(report, "run");
  const auto& m = at(report, "metrics");
  if (!m.is_object() || !m.contains("patient") || !m.contains("recording"))
    throw Error("render_html: report has no metrics (build it with eval::build_report)");
  std::vector<std::string> classes = m["class_names"].get<std::vector<std::string>>();
  const std::string title = text_of(at(report, "title"));
  const auto& machine = at(run, "machine");
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    << "<title>" << html_escape(title) << "</title><style>" << kCss << "</style></head><body>\n";
  h << "<h1>" << html_escape(title) << "</h1>\n";
  h << "<p class=\"sub\">murmur " << html_escape(text_of(at(run, "murmur_version"))) << " ("
    << html_escape(text_of(at(run, "git_commit"))) << ") &middot; " << html_escape(text_of(at(run, "created_utc")))
    << " &middot; wall time " << duration(num(at(run, "wall_time_s"))) << "</p>\n";

  // Run summary.
  const auto& boot = m["bootstrap"];
  h << "<h2>Run</h2><div class=\"tw\"><table><tbody>";
  auto row = [&](const std::string& k, const std::string& v) {
    h << "<tr><td>" << html_escape(k) << "</td><td style=\"text-align:left;white-space:normal\">" << html_escape(v) << "</td></tr>";
  };
  row("Recordings", text_of(m["n_recordings"]));
  row("Patients", text_of(m["n_patients"]));
  row("Classes", [&] {
    std::string s;
    for (const auto& c : classes) s += (s.empty() ? "" : ", ") + c;
    return s;
  }());
  row("Cross-validation", text_of(m["n_repeats"]) + " repeat(s) x " + text_of(m["n_folds"]) + " folds");
  row("Data fingerprint", text_of(at(run, "data_fingerprint")));
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
    h << "<details><summary>Full configuration</summary><pre>" << html_escape(run["config"].dump(2))
      << "</pre></details>\n";

  // Headline.
  h << "<h2>Headline metrics</h2><p class=\"note\">Patient level: a patient's probabilities are the mean "
       "over its recordings. Value in bold, "
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
  h << "<h2>Confusion matrices</h2><p class=\"note\">Counts; colour = share of the true class's row.";
  if (num(m["n_repeats"]) > 1) h << " Counts are summed over the " << text_of(m["n_repeats"]) << " repeats.";
  h << "</p><div class=\"grid\">";
  for (auto [key, label] : levels)
    h << "<figure>" << confusion_svg(m[key]["confusion"], classes, label + std::string(" (n = ") + text_of(m[key]["n_rows"]) + ")")
      << "</figure>";
  h << "</div>\n";

  h << "<h2>Sensitivity and specificity per class</h2><div class=\"grid\">";
  for (auto [key, label] : levels)
    h << "<figure>" << sens_spec_svg(m[key]["per_class"], label)
      << legend({{"sensitivity", "#1f77b4"}, {"specificity", "#ff7f0e"}}) << "</figure>";
  h << "</div>";
  for (auto [key, label] : levels) h << "<h3>" << label << "</h3>" << per_class_table(m[key]);

  h << "<h2>ROC curves (one class vs rest)</h2><div class=\"grid\">";
  for (auto [key, label] : levels) h << "<figure>" << roc_svg(m[key], classes, label) << "</figure>";
  h << "</div>\n";

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
      std::string colour = kPalette[i % 10];
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

  h << "<h2>By auscultation site (recording level)</h2>" << breakdown_table(m["by_site"], "site");
  h << "<h2>By position (recording level)</h2>" << breakdown_table(m["by_position"], "position");

  h << "<h2>Per fold</h2>"
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

  h << "<footer>murmur " << html_escape(text_of(at(run, "murmur_version"))) << " (commit "
    << html_escape(text_of(at(run, "git_commit"))) << ") &middot; " << html_escape(text_of(at(machine, "os")))
    << " &middot; " << html_escape(text_of(at(machine, "cores"))) << " cores";
  if (!at(machine, "threads").is_null()) h << ", " << html_escape(text_of(machine["threads"])) << " threads used";
  h << " &middot; wall time " << duration(num(at(run, "wall_time_s"))) << " &middot; created "
    << html_escape(text_of(at(run, "created_utc"))) << "</footer>\n</body></html>\n";
  return h.str();
}

void write_report(const std::string& run_dir, const nlohmann::json& report) {
  std::string html = render_html(report);  // first: a report that cannot render is not written at all
  util::write_file_atomic(run_dir + "/report.json", report.dump(1) + "\n");
  util::write_file_atomic(run_dir + "/report.html", html);
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

std::string format_summary(const nlohmann::json& report_or_metrics) {
  const nlohmann::json& m = report_or_metrics.contains("metrics") ? report_or_metrics["metrics"] : report_or_metrics;
  if (!m.contains("patient")) throw Error("format_summary: not a report or metrics JSON");
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
