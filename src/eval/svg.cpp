#include "eval/svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "eval/json_text.h"
#include "eval/text.h"

namespace murmur::eval::svg {

using namespace jt;

namespace {

std::string fmt_num(double x) {  // SVG coordinates
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", x);
  return buf;
}

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

}  // namespace

const char* palette(size_t i) {
// tab10: distinct on screen and in greyscale-ish print; cycled for more series.
  static const char* const kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  return kPalette[i % 10];
}

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
std::string legend(const std::vector<std::pair<std::string, std::string>>& items, bool dashed_second) {
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
    se.color = palette(c);
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

}  // namespace murmur::eval::svg
