// murmur demo: the main job end to end on an embedded default (synthetic recordings), or on a
// real data set with --data: index, spectrograms, patient-grouped cross-validation with a
// report, and a prediction with the fold ensemble.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli/command.h"
#include "cli/model_commands.h"
#include "data/index.h"
#include "eval/report.h"
#include "experiment/cv_run.h"
#include "pipeline/predictor.h"
#include "pipeline/registry.h"
#include "pipeline/seed.h"
#include "synth/synth.h"
#include "util/progress.h"

namespace murmur::cli {
namespace {

struct DemoArgs {
  std::string out = "demo-out", data, preset = "native";
  int patients = 25, folds = 5, epochs = 0;
  uint64_t seed = 1;
};

// Each step says what it did and how long it took; the end says what to open.
class Steps {
 public:
  double lap() {
    auto now = std::chrono::steady_clock::now();
    double s = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    return s;
  }
  double total() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }
  std::string took() { return " (" + util::Progress::format_seconds(lap()) + ")\n"; }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now(), last_ = start_;
};

void run_demo(const DemoArgs& args) {
  Steps steps;
  std::string data = args.data;
  if (data.empty()) {
    data = args.out + "/data";
    synth::SynthConfig sc;
    sc.n_patients = args.patients;
    sc.seed = args.seed;
    synth::write_synthetic_dataset(data, sc);
    std::cout << "1. synthesised " << args.patients << " patients x 8 recordings (4 kHz, 20 s) into " << data
              << steps.took();
  } else {
    std::cout << "1. data set " << data << "\n";
  }
  auto index = data::index_dataset(data);
  const auto& s = index.summary;
  std::cout << "2. indexed " << s.n_recordings << " recordings of " << s.n_patients << " patients ("
            << s.n_single_label_recordings << " single-label recordings of " << s.n_single_label_patients
            << " patients; " << index.anomalies.size() << " anomalies, see `murmur index`)" << steps.took();
  // The reference's pictures for one recording per class.
  const pipeline::SeedPreset seed;
  std::vector<bool> drawn(data::kClassNames.size(), false);
  int n_drawn = 0;
  for (auto& r : index.recordings) {
    if (!r.is_single_label() || drawn[size_t(r.label)]) continue;
    features::write_png(args.out + "/spectrograms/" + r.name + ".png", seed.picture(audio::load(r.path, seed.audio)));
    drawn[size_t(r.label)] = true;
    ++n_drawn;
  }
  std::cout << "3. drew " << n_drawn << " reference-style spectrograms into " << args.out << "/spectrograms/"
            << steps.took();
  experiment::CvOptions o;
  auto preset = pipeline::make_preset(args.preset);
  if (args.epochs > 0) preset->train.epochs = args.epochs;
  o.preset = std::move(preset);
  o.data = {data, args.out + "/cache", global().quiet, global().threads};
  o.run_dir = args.out + "/cv-" + args.preset;
  o.folds = args.folds;
  o.seed = args.seed;
  o.shifts = false;  // the shift bench (each recording ~70 times more) would take longer than the rest; cv runs it
  std::cout << "4. cross-validating preset " << args.preset << " by patient (" << args.folds << " folds) ...\n";
  auto report = experiment::cv_run(o);
  std::cout << eval::format_summary(report) << "   cross-validation" << steps.took();
  auto predictor = pipeline::Predictor::open(o.run_dir);
  const auto* first = &index.recordings.front();
  for (auto& r : index.recordings)
    if (r.is_single_label()) {
      first = &r;
      break;
    }
  auto probs = predictor.predict_file(first->path);
  int best = int(probs.argmax().item<int64_t>());
  char p_text[16];
  std::snprintf(p_text, sizeof p_text, "%.2f", probs[best].item<double>());
  std::cout << "5. predicted " << first->name << " with the " << predictor.n_models() << "-model fold ensemble: "
            << predictor.class_names()[size_t(best)] << " (p " << p_text << "; true class "
            << (first->label >= 0 ? data::kClassNames[size_t(first->label)] : "?") << ")" << steps.took();
  std::cout << "done in " << util::Progress::format_seconds(steps.total()) << ". Open " << o.run_dir
            << "/report.html in a browser: accuracy by patient with intervals, calibration, what the models listened "
               "to, and each misclassified patient.\n"
            << "Next: `murmur predict --model " << o.run_dir << " your.wav`, or the same demo on real recordings "
            << "with --data ../shared/data/bmd-hs.\n";
}

void setup(CLI::App& app) {
  auto args = std::make_shared<DemoArgs>();
  auto* cmd = app.add_subcommand("demo", model_command_about("demo"));
  cmd->add_option("-o,--output", args->out, "Output folder")->capture_default_str();
  cmd->add_option("--data", args->data, "Use this data set instead of synthetic recordings (e.g. ../shared/data/bmd-hs)");
  cmd->add_option("--patients", args->patients, "Synthetic patients")->capture_default_str()->check(CLI::Range(10, 1000));
  cmd->add_option("--preset", args->preset, "Pipeline preset (" + pipeline::preset_list() + ")")->check(CLI::IsMember(pipeline::preset_names()))->capture_default_str();
  cmd->add_option("--folds", args->folds, "Cross-validation folds")->capture_default_str()->check(CLI::Range(2, 20));
  cmd->add_option("--epochs", args->epochs, "Override the preset's maximum epochs (0 = preset default)");
  cmd->add_option("--seed", args->seed, "Random seed")->capture_default_str();
  cmd->callback([args] { run_demo(*args); });
}

Registrar registrar("demo", setup);

}  // namespace
}  // namespace murmur::cli
