// One cv run made in several places, gathered: the folds of `murmur cv --fold K` run as separate
// jobs (a Slurm array, several machines) into folders of their own are merged into one run
// folder, and any run folder says which of its folds are done and which are missing.
//
//   RunStatus s = run_status("runs/native-s100-part0");  // s.missing: {"repeat0/fold1", ...}
//   MergeResult m = merge_runs({"runs/part0", "runs/part1"}, "runs/native-s100");
//   // m.copied {"repeat0/fold0", "repeat0/fold1"}; then `murmur cv <same options> -o runs/native-s100`
//   // finds every fold done and writes the report.
//
// A unit is one fold's folder (repeatR/foldF; under --split source, the held-out source's folder)
// holding done.json. Runs are merged only when they are the same run: equal config.json, and
// every unit made by the same murmur commit from the same data (done.json's murmur_commit and
// dataset_fingerprint). A unit already in the output is kept. Each unit is copied into a
// temporary folder and renamed into place, so an interrupted merge leaves no half-copied fold.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace murmur::experiment {

struct UnitProvenance {
  std::string murmur_commit;        // "" when done.json predates the field
  std::string dataset_fingerprint;
};

struct RunStatus {
  std::string run_dir;
  std::vector<std::string> done;     // units with done.json, relative to run_dir
  std::vector<std::string> missing;  // units of the plan without it
  bool planned = false;              // the full list of units is known (plan.json, or the config's folds)
  std::vector<UnitProvenance> provenance;  // of each done unit, in the order of `done`
  nlohmann::json to_json() const;
};

// murmur::Error if run_dir has no config.json (not a run folder).
RunStatus run_status(const std::string& run_dir);

struct MergeResult {
  std::vector<std::string> copied, already_there;
  RunStatus status;  // of the output after the merge
};

MergeResult merge_runs(const std::vector<std::string>& inputs, const std::string& out_dir);

// RUN/plan.json: the units a run consists of, written by cv (both splits) once its data is loaded.
void write_plan(const std::string& run_dir, const std::vector<std::string>& units);
// The units of patient folds: "repeatR/foldF" for every repeat and fold (fold_dir, runs.h).
std::vector<std::string> fold_units(int repeats, int folds);

}  // namespace murmur::experiment
