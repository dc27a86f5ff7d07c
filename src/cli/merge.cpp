// murmur merge -o RUN PART...: the folds of one cv run, made as separate jobs (`cv --fold K`, e.g.
// a Slurm array, docs/cluster.md) into folders of their own, gathered into one run folder.
#include <iostream>

#include "cli/command.h"
#include "cli/model_commands.h"
#include "experiment/merge.h"
#include "util/json.h"

namespace murmur::cli {
namespace {

void setup(CLI::App& app) {
  auto parts = std::make_shared<std::vector<std::string>>();
  auto out = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("merge", model_command_about("merge"));
  cmd->add_option("runs", *parts, "Run folders holding finished folds of the same cv run")->required();
  cmd->add_option("-o,--output", *out, "The run folder to gather them in (may already hold some folds)")->required();
  cmd->callback([parts, out] {
    auto m = experiment::merge_runs(*parts, *out);
    if (global().json) {
      std::cout << util::json_text({{"copied", m.copied}, {"already_there", m.already_there},
                                    {"status", m.status.to_json()}}, 1) << "\n";
      return;
    }
    for (auto& u : m.copied) std::cout << "copied  " << u << "\n";
    for (auto& u : m.already_there) std::cout << "kept    " << u << " (the output already has this fold)\n";
    const auto& s = m.status;
    std::cout << *out << ": " << s.done.size() << " folds done";
    if (s.planned && s.missing.empty())
      std::cout << ", none missing: run the same `murmur cv` command with -o " << *out << " to write the report\n";
    else if (s.planned)
      std::cout << ", " << s.missing.size() << " missing (murmur status " << *out << " lists them)\n";
    else
      std::cout << "\n";
  });
}

Registrar registrar("merge", setup);

}  // namespace
}  // namespace murmur::cli
