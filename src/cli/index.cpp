// murmur index DIR: what a data set folder holds (per class, position, site, length, rate) and
// every anomaly found in it.
#include <cmath>
#include <cstdio>
#include <map>
#include <iostream>
#include <nlohmann/json.hpp>

#include "audio/audio.h"
#include "cli/command.h"
#include "data/index.h"
#include "features/band_profile.h"
#include "util/error.h"
#include "util/json.h"
#include "util/pool.h"
#include "util/progress.h"
#include "util/version.h"

namespace {

struct IndexArgs {
  std::string dir;
  bool hash_content = false;
  bool list = false;
  bool spectra = false;
};

// --spectra: each source's mean octave profile (features/band_profile.h) over its recordings, with
// the spread between recordings; recordings that cannot be loaded are counted, not fatal.
nlohmann::json source_spectra(const murmur::data::DatasetIndex& ix) {
  namespace mf = murmur::features;
  const size_t n = ix.recordings.size(), k = mf::kOctaveEdgesHz.size() - 1;
  std::vector<std::vector<double>> db(n);
  murmur::util::Progress bar("spectra", long(n), murmur::cli::global().quiet);
  murmur::util::parallel_for(n, murmur::cli::global().threads, [&](size_t i) {
    try {
      const auto a = murmur::audio::load(ix.recordings[i].path);
      db[i] = mf::band_profile_db(a.samples, a.sample_rate_hz);
    } catch (const murmur::Error&) {
    }
    bar.tick();
  });
  bar.done();
  struct Acc { int n = 0, failed = 0; std::vector<double> sum, sq; std::vector<int> count; };
  std::map<std::string, Acc> by;
  for (size_t i = 0; i < n; ++i) {
    Acc& a = by[ix.recordings[i].source];
    if (a.sum.empty()) a.sum.assign(k, 0), a.sq.assign(k, 0), a.count.assign(k, 0);
    if (db[i].empty()) { ++a.failed; continue; }
    ++a.n;
    for (size_t b = 0; b < k; ++b)
      if (std::isfinite(db[i][b])) a.sum[b] += db[i][b], a.sq[b] += db[i][b] * db[i][b], ++a.count[b];
  }
  nlohmann::json out = {{"murmur_commit", murmur::util::git_commit()},
                        {"bands_hz", mf::kOctaveEdgesHz},
                        {"method", "per recording: mean power spectrum (Hann, ~0.25 s frames) in octaves, dB relative "
                                   "to 25-800 Hz; per source: mean and sd over its recordings"},
                        {"sources", nlohmann::json::object()}};
  for (auto& [name, a] : by) {
    nlohmann::json mean = nlohmann::json::array(), sd = nlohmann::json::array();
    for (size_t b = 0; b < k; ++b) {
      const double m = a.count[b] ? a.sum[b] / a.count[b] : 0;
      mean.push_back(a.count[b] ? nlohmann::json(m) : nlohmann::json());
      sd.push_back(a.count[b] > 1 ? nlohmann::json(std::sqrt(std::max(0.0, (a.sq[b] - a.count[b] * m * m) / (a.count[b] - 1))))
                                  : nlohmann::json());
    }
    out["sources"][name] = {{"recordings", a.n}, {"not_loaded", a.failed}, {"mean_db", mean}, {"sd_db", sd}};
  }
  return out;
}

void print_spectra(const nlohmann::json& sp) {
  std::printf("\nenergy per octave, dB relative to 25-800 Hz (mean over recordings; sd in brackets)\n%-12s %6s",
              "source", "recs");
  const auto& edges = sp["bands_hz"];
  for (size_t b = 0; b + 1 < edges.size(); ++b) {
    const std::string band = std::to_string(edges[b].get<int>()) + "-" + std::to_string(edges[b + 1].get<int>()) + " Hz";
    std::printf(" %14s", band.c_str());
  }
  std::printf("\n");
  for (const auto& [name, s] : sp["sources"].items()) {
    std::printf("%-12s %6d", name.c_str(), s["recordings"].get<int>());
    for (size_t b = 0; b < s["mean_db"].size(); ++b) {
      if (s["mean_db"][b].is_null()) { std::printf(" %14s", "-"); continue; }
      char cell[32];
      std::snprintf(cell, sizeof cell, "%.1f (%.1f)", s["mean_db"][b].get<double>(),
                    s["sd_db"][b].is_null() ? 0.0 : s["sd_db"][b].get<double>());
      std::printf(" %14s", cell);
    }
    std::printf("\n");
  }
}

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
  cmd->add_flag("--spectra", args->spectra, "Also each source's energy per octave (25-800 Hz), the device's "
                "signature: reads every recording");
  cmd->callback([args] {
    murmur::data::IndexOptions options;
    options.hash_content = args->hash_content;
    auto ix = murmur::data::index_dataset(args->dir, options);
    const nlohmann::json spectra = args->spectra ? source_spectra(ix) : nlohmann::json();
    if (murmur::cli::global().json) {
      nlohmann::json j = ix;
      if (!args->list) {
        j.erase("recordings");
        j.erase("patients");
      }
      if (args->spectra) j["spectra"] = spectra;
      std::cout << murmur::util::json_text(j, 1) << "\n";
    } else {
      print_table(ix);
      if (args->spectra) print_spectra(spectra);
    }
  });
}

murmur::cli::Registrar registrar("index", setup);

}  // namespace
