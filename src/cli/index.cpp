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

void print_table(const murmur::data::DatasetIndex& ix) {
  using murmur::data::kClassNames;
  const auto& s = ix.summary;
  std::printf("%s (%s layout), fingerprint %s (%s)\n", ix.dir.c_str(), ix.layout.c_str(), ix.fingerprint.c_str(),
              ix.fingerprint_method.c_str());
  std::printf("%d recordings, %d patients (%d with a CSV row, %d without)\n", s.n_recordings, s.n_patients,
              s.n_csv_rows, s.n_patients_without_row);
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
  std::printf("\n%zu anomalies%s\n", ix.anomalies.size(), ix.anomalies.empty() ? "" : ":");
  for (const auto& a : ix.anomalies)
    std::printf("  %-17s %-32s %s\n", murmur::data::anomaly_kind_name(a.kind), a.where.c_str(), a.message.c_str());
}

void setup(CLI::App& app) {
  auto args = std::make_shared<IndexArgs>();
  auto* cmd = app.add_subcommand("index", "Describe a data set folder (BMD-HS copy or folder of CLASS_PID_POS_SITE.wav) "
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
