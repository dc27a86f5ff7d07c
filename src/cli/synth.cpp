// murmur synth -o DIR: a synthetic data set in BMD-HS's layout (see docs/synth.md).
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "synth/synth.h"
#include "util/json.h"

namespace {

struct SynthArgs {
  std::string out_dir;
  murmur::synth::SynthConfig cfg;
};

void setup(CLI::App& app) {
  auto args = std::make_shared<SynthArgs>();
  auto& c = args->cfg;
  auto* cmd = app.add_subcommand("synth", "Write deterministic synthetic phonocardiograms (N, AS, AR, MR, MS) "
                                          "in BMD-HS's layout");
  cmd->add_option("-o,--out", args->out_dir, "Output folder (train.csv, additional_metadata.csv, train/*.wav)")
      ->required();
  cmd->add_option("--patients", c.n_patients, "Patients; classes cycle N, AS, AR, MR, MS")->capture_default_str();
  cmd->add_option("--seed", c.seed, "Random seed: the same seed gives byte-identical files")->capture_default_str();
  cmd->add_option("--sample-rate", c.sample_rate_hz, "Sample rate, Hz")->capture_default_str();
  cmd->add_option("--duration", c.duration_s, "Length of each recording, s")->capture_default_str();
  cmd->add_option("--murmur-gain", c.murmur_gain, "Scales every murmur (< 1: harder task)")->capture_default_str();
  cmd->add_option("--noise-gain", c.noise_gain, "Scales recording noise (> 1: harder task)")->capture_default_str();
  cmd->add_option("--first-patient", c.first_patient_number, "PID of the first patient")->capture_default_str();
  cmd->callback([args] {
    auto start = std::chrono::steady_clock::now();
    murmur::synth::write_synthetic_dataset(args->out_dir, args->cfg);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    int n_recordings = 8 * args->cfg.n_patients;
    if (murmur::cli::global().json) {
      nlohmann::json j = {{"dir", args->out_dir}, {"config", args->cfg}, {"n_recordings", n_recordings},
                          {"seconds", seconds}};
      std::cout << murmur::util::json_text(j, 1) << "\n";
    } else {
      std::printf("%s: %d patients, %d recordings of %.1f s at %d Hz (seed %llu) in %.2f s\n",
                  args->out_dir.c_str(), args->cfg.n_patients, n_recordings, args->cfg.duration_s,
                  args->cfg.sample_rate_hz, static_cast<unsigned long long>(args->cfg.seed), seconds);
    }
  });
}

murmur::cli::Registrar registrar("synth", setup);

}  // namespace
