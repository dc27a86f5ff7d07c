// The SVG chart kit of the HTML report: line charts (ROC, training curves), confusion matrices,
// per-class bars with interval whiskers, and an HTML legend. Each chart is one <svg class="fig">
// styled by src/web/style.css (classes t, a, n, s, g, frame, diag, ci); every text is escaped.
//
//   murmur::eval::svg::Series s{"fold 0", murmur::eval::svg::palette(0), false, {1, 2}, {0.9, 0.7}};
//   std::string fig = murmur::eval::svg::line_chart({s}, {"Loss per epoch", "epoch", "loss"});
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace murmur::eval::svg {

struct Series {
  std::string name, color;
  bool dashed = false;
  std::vector<double> x, y;  // non-finite y are skipped
};

struct LineChartOptions {
  std::string title, x_label, y_label;
  bool fixed_unit_range = false;  // x and y in [0, 1] (ROC), square, with a diagonal
  int width = 420, height = 300;
};

// tab10 colours, cycled.
const char* palette(size_t i);

std::string line_chart(const std::vector<Series>& series, const LineChartOptions& o);
// Legend as HTML (wraps on narrow screens, unlike SVG text); {name, colour} items.
std::string legend(const std::vector<std::pair<std::string, std::string>>& items, bool dashed_second = false);
// White -> dark blue; frac in [0, 1].
std::string heat_colour(double frac);
// Counts [true][predicted] coloured by share of the row.
std::string confusion_svg(const nlohmann::json& confusion, const std::vector<std::string>& classes,
                          const std::string& title);
// Horizontal bars per class: sensitivity and specificity Stats with their intervals as whiskers.
std::string sens_spec_svg(const nlohmann::json& per_class, const std::string& title);
// One-vs-rest ROC curves of a metrics Level ("roc", "per_class"), with a legend.
std::string roc_svg(const nlohmann::json& level, const std::vector<std::string>& classes,
                    const std::string& title);

}  // namespace murmur::eval::svg
