// murmur cv: patient-grouped, stratified k-fold cross-validation with a report.
#include <iostream>

#include "cli/command.h"
#include "cli/model_commands.h"
#include "cli/preset_options.h"
#include "cli/ranks.h"
#include "eval/report.h"
#include "experiment/cv_run.h"
#include "experiment/loso_run.h"
#include "util/json.h"

namespace murmur::cli {
namespace {

struct CvArgs : PresetOptions {
  std::string out = "runs/cv", fusion, split = "patient", test_source;
  int folds = 5, repeats = 1, fold = -1, bootstrap = 1000;
  uint64_t seed = 0, train_seed = 0;
  bool no_explain = false, no_shifts = false;
};

void setup(CLI::App& app) {
  auto args = std::make_shared<CvArgs>();
  auto* cmd = app.add_subcommand("cv", model_command_about("cv"));
  add_preset_options(cmd, *args);
  cmd->add_option("--split", args->split,
                  "patient: patient-grouped stratified folds; source: leave one source out (train on every source of a "
                  "collection but one, test on it; --preset pooled learns every source's labels)")
      ->capture_default_str()
      ->check(CLI::IsMember({"patient", "source"}));
  cmd->add_option("--test-source", args->test_source,
                  "With --split patient and a collection: folds over this source's patients only, every other "
                  "source's recordings in each fold's training (e.g. bmd-hs: its valve figures with the other "
                  "stethoscopes also taught); the report is about this source");
  cmd->add_option("--folds", args->folds, "Folds (patients stratified by class)")->capture_default_str()->check(CLI::Range(2, 100));
  cmd->add_option("--repeats", args->repeats, "Repeats with different fold assignments")->capture_default_str()->check(CLI::Range(1, 100));
  cmd->add_option("--seed", args->seed, "Random seed")->capture_default_str();
  cmd->add_option("--train-seed", args->train_seed,
                  "Training seed offset: same folds, other initial weights and batch order (to measure training "
                  "variance; murmur compare's corrected t-test then sees it)")
      ->capture_default_str();
  cmd->add_option("--fold", args->fold,
                  "Run only this fold (0-based) of every repeat, into the same run folder (one job per fold on a "
                  "cluster: murmur status lists what is missing, murmur merge gathers folders; docs/cluster.md)");
  cmd->add_option("--bootstrap", args->bootstrap, "Bootstrap resamples for the intervals")->capture_default_str();
  cmd->add_option("--fusion", args->fusion, "Patient fusion: mean or geometric (default: the preset's; native geometric, seed mean)")
      ->check(CLI::IsMember({"mean", "geometric"}));
  cmd->add_flag("--no-explain", args->no_explain,
                "Leave out the report's explanations (each test patient explained by its fold model: phase and "
                "band relied on, pictures of the misclassified; presets native and valves)");
  cmd->add_flag("--no-shifts", args->no_shifts,
                "Leave out the report's shift bench (each test recording scored again under other stethoscope "
                "responses, rates, clip lengths, noises and gains; single-label presets)");
  cmd->add_option("-o,--output", args->out, "Run folder (a killed run resumes at its first unfinished fold)")->capture_default_str();
  cmd->callback([args] {
    experiment::CvOptions o;
    o.preset = args->preset_config();
    o.data = args->data_options();
    o.run_dir = args->out;
    o.split = args->split;
    o.test_source = args->test_source;
    o.folds = args->folds;
    o.repeats = args->repeats;
    o.seed = args->seed;
    o.train_seed = args->train_seed;
    o.only_fold = args->fold;
    o.bootstrap.n_resamples = args->bootstrap;
    o.explain = !args->no_explain;
    o.shifts = !args->no_shifts;
    if (!args->fusion.empty()) o.fusion = eval::parse_fusion(args->fusion);
    RankScope ranks(o.run_dir, o.data);  // several ranks: rank 0 writes and prints
    auto report = experiment::cv_run(o);
    if (!ranks.prints()) return;
    if (global().json) {
      std::cout << util::json_text(report, 1) << "\n";
    } else if (report.value("status", "") == "partial") {
      std::cout << "folds done: " << report["folds_done"] << " of " << report["folds_total"]
                << " (run the remaining folds into " << args->out << " to get the report)\n";
    } else if (o.split == "source") {
      std::cout << experiment::loso_summary(report) << "report: " << args->out << "/report.json\n";
    } else {
      std::cout << eval::format_summary(report) << "\nreport: " << args->out << "/report.html\n";
    }
  });
}

Registrar registrar("cv", setup);

}  // namespace
}  // namespace murmur::cli
