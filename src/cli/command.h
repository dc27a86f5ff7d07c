// How a subcommand plugs into the `murmur` CLI: one file per subcommand, thin.
//
//   // src/cli/index.cpp
//   static void setup(CLI::App& app) {
//     auto* cmd = app.add_subcommand("index", "Describe a data set folder");
//     ...
//     cmd->callback([=] { ...; });   // throw murmur::Error on failure
//   }
//   static murmur::cli::Registrar registrar("index", setup);
//
// main() owns the global flags (--threads, --json), catches murmur::Error once, prints it
// to stderr and returns a non-zero exit code.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace murmur::cli {

// Exit codes: 0 everything done; 1 an error stopped the command (murmur::Error, printed);
// 2 an internal error; 3 a batch finished but some inputs failed (each was reported and skipped).
inline constexpr int kExitSomeInputsFailed = 3;

// Thrown by a batch command after its output is written when some inputs were skipped.
struct SomeInputsFailed {
  size_t n_failed;
};

// --set on the commands that apply a trained model (predict, evaluate): pipeline::Predictor::open.
inline constexpr const char* kEvalSetHelp =
    "How the trained model is applied: eval.field=value (repeatable), e.g. eval.views=2 (seed preset: average "
    "the picture's mirror twin in)";

struct GlobalOptions {
  int threads = 0;    // 0 = all cores (then the cores' count, once parsed)
  bool threads_given = false;  // --threads was given (not 0)
  bool json = false;  // machine-readable output instead of tables
  bool quiet = false; // no progress bars
};

// The options shared by every subcommand, filled in before any callback runs.
GlobalOptions& global();

using Setup = std::function<void(CLI::App&)>;

struct Registrar {
  Registrar(const std::string& name, Setup setup);
};

std::vector<std::pair<std::string, Setup>>& registry();

}  // namespace murmur::cli
