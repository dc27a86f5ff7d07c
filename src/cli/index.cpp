// murmur index DIR: what a data set folder holds (per class, position, site, length, rate) and
// every anomaly found in it.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "data/index.h"
#include "util/json.h"

namespace {

struct IndexArgs {
  std::string dir;
  bool hash_content = false;
  bool list = false;
};

// Per source: recordings, patients, the labels it carries (valve classes, normal/abnormal, murmur,
// heart-cycle annotations), rates and length.
void print_sources(const murmur::data::Summary& s) {
  std::printf("%-12s %6s %8s %6s %7s %8s %7s %9s %9s %6s %10s %9s\n", "source", "recs", "patients", "valve",
              "normal", "abnormal", "murmur", "no murmur", "annotated", "noisy", "rate Hz", "hours");
  for (const auto& [name, src] : s.sources) {
    std::string rates;
    for (auto [rate, n] : src.sample_rates_hz) rates += (rates.empty() ? "" : ",") + std::to_string(rate);
    std::printf("%-12s %6d %8d %6d %7d %8d %7d %9d %9d %6d %10s %9.2f\n", name.c_str(), src.n_recordings,
                src.n_patients, src.n_valve_labelled, src.n_normal, src.n_abnormal, src.n_murmur, src.n_no_murmur,
                src.n_annotated, src.n_noisy, rates.c_str(), src.duration_total_s / 3600);
  }
  std::printf("\n");
}

void print_anomalies(const murmur::data::DatasetIndex& ix) {
  std::printf("\n%zu anomalies%s\n", ix.anomalies.size(), ix.anomalies.empty() ? "" : ":");
  for (const auto& a : ix.anomalies)
    std::printf("  %-17s %-32s %s\n", murmur::data::anomaly_kind_name(a.kind), a.where.c_str(), a.message.c_str());
}

void print_table(const murmur::data::DatasetIndex& ix) {
  using murmur::data::kClassNames;
  const auto& s = ix.summary;
  std::printf("%s (%s layout), fingerprint %s (%s)\n", ix.dir.c_str(), ix.layout.c_str(), ix.fingerprint.c_str(),
              ix.fingerprint_method.c_str());
  std::printf("%d recordings, %d patients", s.n_recordings, s.n_patients);
  if (s.n_csv_rows + s.n_patients_without_row > 0)
    std::printf(" (of BMD-HS-named ones, %d with a CSV row, %d without)", s.n_csv_rows, s.n_patients_without_row);
  std::printf("\n\n");
  print_sources(s);
  if (s.recordings_per_file_class.empty() || s.n_csv_rows + s.n_patients_without_row == 0) return print_anomalies(ix);
  std::printf("single-label: %d recordings of %d patients\n\n", s.n_single_label_recordings,
              s.n_single_label_patients);
  std::printf("%-6s %16s %14s %22s %22s\n", "class", "files (by name)", "patients", "single-label recs",
              "single-label patients");
  for (const auto& c : murmur::data::kFileClasses) {
    int k = murmur::data::class_index(c);
    std::printf("%-6s %16d %14d", c.c_str(), s.recordings_per_file_class.at(c), s.patients_per_file_class.at(c));
    if (k >= 0)
      std::printf(" %22d %22d\n", s.single_label_recordings[k], s.single_label_patients[k]);
    else
      std::printf(" %22s %22s\n", "-", "-");
  }
  std::printf("\npatients per label (multi-label counted in each):");
  for (int k = 0; k < murmur::data::kNumClasses; ++k) std::printf(" %s %d", kClassNames[k].c_str(), s.label_patients[k]);
  std::printf("\npositions:");
  for (auto& [k, v] : s.positions) std::printf(" %s %d", k.c_str(), v);
  std::printf("\nsites:");
  for (auto& [k, v] : s.sites) std::printf(" %s %d", k.c_str(), v);
  std::printf("\nsample rates:");
  for (auto [k, v] : s.sample_rates_hz) std::printf(" %d Hz x %d", k, v);
  std::printf("\nchannels:");
  for (auto [k, v] : s.channels) std::printf(" %d x %d", k, v);
  std::printf("\nduration: min %.2f s, median %.2f s, max %.2f s, total %.1f min\n", s.duration_min_s,
              s.duration_median_s, s.duration_max_s, s.duration_total_s / 60);
  print_anomalies(ix);
}

void setup(CLI::App& app) {
  auto args = std::make_shared<IndexArgs>();
  auto* cmd = app.add_subcommand("index", "Describe a data set folder (BMD-HS copy, folder of CLASS_PID_POS_SITE.wav, "
                                          "PhysioNet 2016, PASCAL B, manifest.csv, or a folder of several) per source "
                                          "and list its anomalies");
  cmd->add_option("dir", args->dir, "Data set folder")->required();
  cmd->add_flag("--hash-content", args->hash_content, "Fingerprint the audio bytes too (reads every file)");
  cmd->add_flag("--list", args->list, "With --json: include every recording and patient");
  cmd->callback([args] {
    murmur::data::IndexOptions options;
    options.hash_content = args->hash_content;
    auto ix = murmur::data::index_dataset(args->dir, options);
    if (murmur::cli::global().json) {
      nlohmann::json j = ix;
      if (!args->list) {
        j.erase("recordings");
        j.erase("patients");
      }
      std::cout << murmur::util::json_text(j, 1) << "\n";
    } else {
      print_table(ix);
    }
  });
}

murmur::cli::Registrar registrar("index", setup);

}  // namespace
