// Run reports people can read: report.json (every number, the full config, data fingerprint,
// versions, machine, wall time) and report.html (one self-contained file: inline SVG and CSS,
// no JavaScript, no network; opens offline, readable on a phone), plus plain-text tables for
// the CLI.
//
//   nlohmann::json meta = {{"title", "5-fold CV, seed CNN"}, {"config", cfg_json},
//                          {"data_fingerprint", fp}, {"wall_time_s", 812.4},
//                          {"machine", {{"threads", 2}}}};
//   auto report = murmur::eval::build_report(oof, curves, classes, meta, murmur::eval::BootstrapConfig{});
//   murmur::eval::write_report("runs/cv1", report);        // runs/cv1/report.json + report.html
//   std::cout << murmur::eval::format_summary(report);      // headline table for the terminal
//
// Report JSON schema ("murmur.report/1"):
// {
//   "schema": "murmur.report/1",
//   "title": "...",                        // meta.title, default "murmur cross-validation report"
//   "run": {                               // every meta key except title, then defaults for:
//     "murmur_version", "git_commit",      //   this build's (MURMUR_VERSION, MURMUR_GIT_COMMIT)
//     "created_utc": "2026-11-26T09:30:00Z",
//     "machine": {"cores": hardware threads, "os": "Linux 6.1 x86_64", "threads": if given},
//     "config": {...}, "data_fingerprint": "...", "wall_time_s": s   // as given (null if not)
//   },
//   "metrics": { ... },                    // eval::evaluate() output, schema in metrics.h
//   "curves": [{"repeat", "fold", "train_loss": [...], "val_loss": [...], "val_acc": [...]}]
// }
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "eval/metrics.h"

namespace murmur::eval {

nlohmann::json build_report(const Predictions& predictions, const Curves& curves,
                            const std::vector<std::string>& class_names, const nlohmann::json& meta,
                            const BootstrapConfig& boot = {});

// The whole page as one string. Every text from the report is HTML-escaped. Figures (one <svg>
// each): confusion matrices (patient, recording), sensitivity/specificity bars (patient,
// recording), ROC curves (patient, recording), and when curves exist, loss and accuracy per fold.
std::string render_html(const nlohmann::json& report);

// Writes run_dir/report.json (indented) and run_dir/report.html, each atomically.
void write_report(const std::string& run_dir, const nlohmann::json& report);

// HTML-escapes & < > " '.
std::string html_escape(const std::string& text);

// ---- plain text for the CLI

// Aligned columns: first column left-aligned, the others right-aligned; a rule under the header.
//   format_table({"metric", "value"}, {{"accuracy", "0.812"}})
std::string format_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows);

// A Stat ({"value", "ci_low", "ci_high"}) as "0.812 [0.760, 0.861]"; null parts as "n/a".
std::string format_stat(const nlohmann::json& stat, int decimals = 3);

// Headline table (patient and recording level, intervals, fold mean +- sd) of a report or of an
// evaluate() result, then the per-class patient-level table.
std::string format_summary(const nlohmann::json& report_or_metrics);

}  // namespace murmur::eval
