// murmur compare RUN_A RUN_B: two cv runs side by side with paired tests at patient level, on the
// patients both runs hold (a multi-label run enters through its 5-class view).
#include <fstream>
#include <iostream>

#include "cli/command.h"
#include "data/index.h"
#include "eval/compare.h"
#include "eval/metrics.h"
#include "util/error.h"
#include "util/json.h"

namespace murmur::cli {
namespace {

void setup(CLI::App& app) {
  auto runs = std::make_shared<std::vector<std::string>>();
  auto* cmd = app.add_subcommand(
      "compare", "Compare two cv runs on their shared patients (paired bootstrap and McNemar, which treat each model "
                 "as fixed; a corrected resampled t-test over folds, which includes training variance)");
  cmd->add_option("runs", *runs, "RUN_A RUN_B (cv run folders)")->required()->expected(2);
  cmd->callback([runs] {
    std::vector<std::string> names_a, names_b;
    auto a = eval::read_predictions_csv((*runs)[0] + "/oof_predictions.csv", &names_a);
    auto b = eval::read_predictions_csv((*runs)[1] + "/oof_predictions.csv", &names_b);
    // Each run's patients are fused as its own report says (reports before the fusion had its
    // own key kept it under "bootstrap"; older ones: mean).
    auto fusion_of = [](const std::string& run) {
      std::ifstream in(run + "/report.json");
      if (!in) return eval::Fusion::kMean;
      auto r = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
      if (r.is_discarded()) throw Error(run + "/report.json: not valid JSON");
      // Multi-label runs are compared through their 5-class view, fused as it was.
      const auto& m = r.contains("five_class") && r["five_class"].is_object() ? r["five_class"] : r["metrics"];
      if (m.contains("patient_fusion")) return eval::parse_fusion(m["patient_fusion"].get<std::string>());
      return eval::parse_fusion(m["bootstrap"].value("patient_fusion", "mean"));
    };
    eval::CompareConfig cfg;
    cfg.label_a = (*runs)[0];
    cfg.label_b = (*runs)[1];
    cfg.fusion_a = fusion_of((*runs)[0]);
    cfg.fusion_b = fusion_of((*runs)[1]);
    auto c = eval::compare_runs(a, names_a, b, names_b, cfg);
    c["run_a"] = (*runs)[0];
    c["run_b"] = (*runs)[1];
    if (global().json) std::cout << util::json_text(c, 1) << "\n";
    else std::cout << "A = " << (*runs)[0] << "\nB = " << (*runs)[1] << "\n\n" << eval::format_comparison(c);
  });
}

Registrar registrar("compare", setup);

}  // namespace
}  // namespace murmur::cli
