// Run reports people can read: report.json (every number, the full config, data fingerprint,
// versions, machine, wall time) and report.html (one self-contained file: inline SVG and the
// shared stylesheet src/web/style.css inlined, no JavaScript, no network; opens offline, readable
// on a phone). Plain-text tables for the CLI are in eval/text.h.
//
//   nlohmann::json meta = {{"title", "5-fold CV, seed CNN"}, {"config", cfg_json},
//                          {"data_fingerprint", fp}, {"wall_time_s", 812.4},
//                          {"machine", {{"threads", 2}}}};
//   auto report = murmur::eval::build_report(oof, curves, classes, meta, {}, murmur::eval::Fusion::kGeometric);
//   murmur::eval::write_report("runs/cv1", report);        // runs/cv1/report.json + report.html
//   std::cout << murmur::eval::format_summary(report);      // headline table for the terminal
//
// Report JSON ("murmur.report/1", schema in docs/schemas.md): "title", "run" (meta plus this
// build's version and commit, time, machine), "metrics" (evaluate()), "curves". Multi-label runs
// (is_multi_label(class_names)): "metrics" = evaluate_multilabel() and "five_class" = evaluate()
// of five_class_view() (eval/multilabel.h) with "note" and "n_single_label_patients" added (null
// if no single-label patient, or labels other than AR, AS, MR, MS); the HTML shows both.
// "explanations" (added by murmur cv, experiment/cv_explain.h) is rendered when present.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "eval/metrics.h"
#include "eval/text.h"

namespace murmur::eval {

// A report's "run" section: meta's keys (but "title") plus murmur_version, git_commit,
// created_utc, and machine.cores / machine.os where meta does not give them.
nlohmann::json run_section(const nlohmann::json& meta);
nlohmann::json build_report(const Predictions& predictions, const Curves& curves,
                            const std::vector<std::string>& class_names, const nlohmann::json& meta,
                            const BootstrapConfig& boot = {}, Fusion fusion = Fusion::kMean);

// The whole page as one string. Every text from the report is HTML-escaped. States the patient
// fusion rule of metrics.patient_fusion (eval/fusion.h), the data fingerprint and the commit.
// Figures (one <svg> each): confusion matrices, sensitivity/specificity bars, ROC curves (patient,
// recording), and when curves exist, loss and accuracy per fold.
std::string render_html(const nlohmann::json& report);
// The page of a leave-one-source-out report (murmur.loso/1, experiment/loso_run.h).
std::string render_loso_html(const nlohmann::json& report);

// Writes run_dir/report.json (indented) and run_dir/report.html, each atomically.
void write_report(const std::string& run_dir, const nlohmann::json& report);

}  // namespace murmur::eval
