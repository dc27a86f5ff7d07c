// murmur: heart-sound (phonocardiogram) classification. See README.md.
//
// Built twice: as `murmur-torch` with every subcommand, and (MURMUR_LAUNCHER) as `murmur`, which
// links no LibTorch, runs the commands that need none itself and hands the model commands to
// murmur-torch beside it (cli/model_commands.h).
#ifndef MURMUR_LAUNCHER
#include <torch/torch.h>
#else
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#endif

#include <algorithm>
#include <iostream>
#include <thread>

#include "cli/command.h"
#include "cli/model_commands.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/version.h"

namespace murmur::cli {

GlobalOptions& global() {
  static GlobalOptions options;
  return options;
}

std::vector<std::pair<std::string, Setup>>& registry() {
  static std::vector<std::pair<std::string, Setup>> commands;
  return commands;
}

Registrar::Registrar(const std::string& name, Setup setup) {
  registry().emplace_back(name, std::move(setup));
}

#ifdef MURMUR_LAUNCHER
namespace {

char** launcher_argv = nullptr;  // main's

// Replaces this process by murmur-torch (next to this executable) with the same arguments.
[[noreturn]] void run_model_binary(char** argv) {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  const std::string torch_binary = (ec ? std::filesystem::path(argv[0]) : self).parent_path() / "murmur-torch";
  ::execv(torch_binary.c_str(), argv);
  throw Error(torch_binary + ": cannot run it (" + std::strerror(errno) + "); the commands that run models (" +
              "predict, train, cv, ...) live in murmur-torch, installed beside murmur");
}

}  // namespace

std::string libtorch_setting() {
  const char* v = std::getenv("MURMUR_LIBTORCH");
  return v ? v : "";
}

bool libtorch_wanted() { return libtorch_setting() == "1"; }

void hand_to_model_binary(const std::string& why) {
  if (libtorch_setting() == "0") throw Error("MURMUR_LIBTORCH=0, but this needs LibTorch: " + why);
  run_model_binary(launcher_argv);
}
#endif

}  // namespace murmur::cli

int main(int argc, char** argv) {
  using namespace murmur::cli;
  murmur::util::keep_freed_memory();  // see util/alloc.h: 1.8x faster training
  CLI::App app{"murmur: classify valvular heart disease (N, AS, AR, MS, MR) from heart-sound recordings"};
  app.set_version_flag("--version", std::string(MURMUR_VERSION) + " (" + murmur::util::git_commit() + ")");
  app.require_subcommand(1);
  app.footer("Exit codes: 0 done; 1 error (named on stderr); 2 internal error; 3 some inputs failed (each "
             "reported and skipped, the rest done).");
  auto& g = global();
  app.add_option("--threads", g.threads, "Worker threads for LibTorch and feature extraction (0 = all cores)")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_flag("--json", g.json, "Print machine-readable JSON instead of tables");
  app.add_flag("-q,--quiet", g.quiet, "No progress output");
  // Global flags work on either side of the subcommand (`murmur index DIR --json`): a flag a
  // subcommand does not know falls through to here.
  app.fallthrough();
  auto commands = registry();
#ifdef MURMUR_LAUNCHER
  // The model commands as placeholders: listed by --help, and everything after the name (their
  // own --help included) is murmur-torch's to parse. Those the launcher has (predict) are its own.
  launcher_argv = argv;
  for (const auto& c : kModelCommands) {
    if (std::any_of(commands.begin(), commands.end(), [&](const auto& r) { return r.first == c.name; })) continue;
    commands.emplace_back(c.name, [c, argv](CLI::App& parent) {
      auto* cmd = parent.add_subcommand(c.name, c.about);
      cmd->set_help_flag();
      cmd->prefix_command();
      cmd->fallthrough(false);  // not even the global --help: the whole tail is murmur-torch's
      cmd->callback([argv] { run_model_binary(argv); });
    });
  }
#endif
  std::sort(commands.begin(), commands.end(), [](auto& a, auto& b) { return a.first < b.first; });
  for (auto& [name, setup] : commands) setup(app);
  app.parse_complete_callback([&] {
    g.threads_given = g.threads > 0;
    int n = g.threads > 0 ? g.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    g.threads = n;
#ifndef MURMUR_LAUNCHER
    torch::set_num_threads(n);  // LibTorch defaults to one thread on these machines: always set it
#endif
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const murmur::Error& e) {
    std::cerr << "murmur: error: " << e.what() << "\n";
    return 1;
  } catch (const SomeInputsFailed& f) {
    std::cerr << "murmur: " << f.n_failed << " input(s) failed and were skipped (see above)\n";
    return kExitSomeInputsFailed;
  } catch (const std::exception& e) {
    std::cerr << "murmur: internal error: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
