// murmur status RUN: which folds of a cv run are done (with the commit and data that made them)
// and which are missing: what is left to submit after a cluster's array jobs (docs/cluster.md).
#include <filesystem>
#include <iostream>

#include "cli/command.h"
#include "cli/model_commands.h"
#include "experiment/merge.h"
#include "util/json.h"

namespace murmur::cli {
namespace {

void setup(CLI::App& app) {
  auto run = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("status", model_command_about("status"));
  cmd->add_option("run", *run, "A cv run folder")->required();
  cmd->callback([run] {
    auto s = experiment::run_status(*run);
    if (global().json) {
      std::cout << util::json_text(s.to_json(), 1) << "\n";
      return;
    }
    for (size_t i = 0; i < s.done.size(); ++i) {
      const auto& p = s.provenance[i];
      std::cout << "done     " << s.done[i] << "  murmur "
                << (p.murmur_commit.empty() ? "(not recorded)" : p.murmur_commit) << ", data "
                << (p.dataset_fingerprint.empty() ? "(not recorded)" : p.dataset_fingerprint) << "\n";
    }
    for (auto& u : s.missing) std::cout << "missing  " << u << "\n";
    if (!s.planned) std::cout << "(no plan.json: the folds this run should have are not known)\n";
    if (std::filesystem::exists(*run + "/report.json")) std::cout << "report   " << *run << "/report.json\n";
  });
}

Registrar registrar("status", setup);

}  // namespace
}  // namespace murmur::cli
