#include "experiment/merge.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "experiment/runs.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"

namespace murmur::experiment {

namespace fs = std::filesystem;

namespace {

// Folders under run_dir (two levels at most) that hold done.json, relative to run_dir, sorted.
std::vector<std::string> done_units(const std::string& run_dir) {
  std::vector<std::string> units;
  for (auto it = fs::recursive_directory_iterator(run_dir); it != fs::recursive_directory_iterator(); ++it) {
    if (it.depth() >= 2) it.disable_recursion_pending();
    if (it->is_regular_file() && it->path().filename() == "done.json")
      units.push_back(fs::relative(it->path().parent_path(), run_dir).generic_string());
  }
  std::sort(units.begin(), units.end());
  return units;
}

UnitProvenance provenance_of(const std::string& done_path) {
  auto done = read_json_file(done_path);
  return {done.value("murmur_commit", ""), done.value("dataset_fingerprint", "")};
}

// The first key path where two configurations differ ("/preset/native/centre_bands").
std::string first_difference(const nlohmann::json& a, const nlohmann::json& b) {
  auto patch = nlohmann::json::diff(a, b);
  return patch.empty() ? "" : patch[0].value("path", "");
}

}  // namespace

nlohmann::json RunStatus::to_json() const {
  nlohmann::json units = nlohmann::json::array();
  for (size_t i = 0; i < done.size(); ++i)
    units.push_back({{"unit", done[i]}, {"murmur_commit", provenance[i].murmur_commit},
                     {"dataset_fingerprint", provenance[i].dataset_fingerprint}});
  nlohmann::json j = {{"run_dir", run_dir}, {"done", units}, {"planned", planned}};
  j["missing"] = planned ? nlohmann::json(missing) : nlohmann::json(nullptr);
  return j;
}

void write_plan(const std::string& run_dir, const std::vector<std::string>& units) {
  const std::string path = run_dir + "/plan.json";
  util::write_file_atomic(path, util::json_file_text({{"units", units}}, 1, path));
}

std::vector<std::string> fold_units(int repeats, int folds) {
  std::vector<std::string> units;
  for (int r = 0; r < repeats; ++r)
    for (int f = 0; f < folds; ++f) units.push_back(fs::relative(fold_dir("run", r, f), "run").generic_string());
  return units;
}

RunStatus run_status(const std::string& run_dir) {
  if (!fs::exists(run_dir + "/config.json"))
    throw Error(run_dir + ": not a run folder (no config.json; murmur cv writes one when it starts)");
  RunStatus s;
  s.run_dir = run_dir;
  s.done = done_units(run_dir);
  for (auto& u : s.done) s.provenance.push_back(provenance_of(run_dir + "/" + u + "/done.json"));
  std::vector<std::string> plan;
  if (fs::exists(run_dir + "/plan.json")) {
    auto p = read_json_file(run_dir + "/plan.json");
    if (!p.contains("units") || !p["units"].is_array()) throw Error(run_dir + "/plan.json: no \"units\" list");
    plan = p["units"].get<std::vector<std::string>>();
    s.planned = true;
  } else if (auto c = read_json_file(run_dir + "/config.json"); c.contains("folds") && c.contains("repeats")) {
    plan = fold_units(c["repeats"].get<int>(), c["folds"].get<int>());  // runs made before plan.json
    s.planned = true;
  }
  for (auto& u : plan)
    if (!std::binary_search(s.done.begin(), s.done.end(), u)) s.missing.push_back(u);
  return s;
}

MergeResult merge_runs(const std::vector<std::string>& inputs, const std::string& out_dir) {
  if (inputs.empty()) throw Error("merge: name the run folders to merge");
  const auto config = read_run_config(inputs[0] + "/config.json");
  std::vector<RunStatus> parts;
  for (auto& in : inputs) {
    if (fs::exists(out_dir) && fs::equivalent(in, out_dir))
      throw Error("merge: " + in + " is the output folder itself; name it with -o only");
    parts.push_back(run_status(in));
    auto c = read_run_config(in + "/config.json");
    if (c != config)
      throw Error("merge: " + in + " and " + inputs[0] + " are different runs (their config.json differ at " +
                  first_difference(config, c) + ")");
  }
  fs::create_directories(out_dir);
  claim_run_folder(out_dir, out_dir + "/config.json", config, "a run");
  // Every unit, in the inputs and already in the output, from one commit and one data set.
  UnitProvenance want;
  std::string want_from;
  auto check = [&](const std::string& unit_dir, const UnitProvenance& p) {
    if (p.murmur_commit.empty() || p.dataset_fingerprint.empty())
      throw Error("merge: " + unit_dir + "/done.json does not say which murmur commit and data made it (a fold "
                  "from before murmur recorded them); run that fold again");
    if (want_from.empty()) { want = p, want_from = unit_dir; return; }
    if (p.murmur_commit != want.murmur_commit)
      throw Error("merge: " + unit_dir + " was made by murmur " + p.murmur_commit + ", " + want_from + " by " +
                  want.murmur_commit + "; merge folds of one commit only");
    if (p.dataset_fingerprint != want.dataset_fingerprint)
      throw Error("merge: " + unit_dir + " and " + want_from + " were trained on different data (dataset "
                  "fingerprints " + p.dataset_fingerprint + " and " + want.dataset_fingerprint + ")");
  };
  const auto out_status = run_status(out_dir);  // claim_run_folder gave it a config.json
  for (size_t i = 0; i < out_status.done.size(); ++i) check(out_dir + "/" + out_status.done[i], out_status.provenance[i]);
  for (auto& part : parts)
    for (size_t i = 0; i < part.done.size(); ++i) check(part.run_dir + "/" + part.done[i], part.provenance[i]);
  // plan.json: the inputs that have one must agree; the output gets it.
  for (auto& in : inputs) {
    if (!fs::exists(in + "/plan.json")) continue;
    auto plan = read_json_file(in + "/plan.json");
    if (fs::exists(out_dir + "/plan.json")) {
      if (read_json_file(out_dir + "/plan.json") != plan)
        throw Error("merge: " + in + "/plan.json lists other folds than " + out_dir + "/plan.json");
    } else {
      write_plan(out_dir, plan["units"].get<std::vector<std::string>>());
    }
  }
  MergeResult result;
  std::set<std::string> present(out_status.done.begin(), out_status.done.end());
  for (auto& part : parts)
    for (auto& unit : part.done) {
      if (!present.insert(unit).second) { result.already_there.push_back(part.run_dir + "/" + unit); continue; }
      const fs::path dest = fs::path(out_dir) / unit, staging = dest.string() + ".merging";
      fs::remove_all(staging);
      fs::create_directories(staging.parent_path());
      fs::copy(fs::path(part.run_dir) / unit, staging, fs::copy_options::recursive);
      fs::remove(staging / "train_state.pt");  // a finished fold has none; never carry one over
      fs::remove_all(dest);  // an unfinished attempt at the same fold, if any
      fs::rename(staging, dest);
      result.copied.push_back(unit);
    }
  result.status = run_status(out_dir);
  return result;
}

}  // namespace murmur::experiment
