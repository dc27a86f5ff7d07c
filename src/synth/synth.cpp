// SynthConfig, patients and their beats, and the data set on disk (train.csv, metadata, WAVs).
// The sound of one recording is synth_sound.cpp.
#include "synth/synth.h"

#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "data/index.h"
#include "synth/synth_internal.h"
#include "util/check.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"

namespace murmur::synth {

using namespace detail;

void SynthConfig::validate(const std::string& section) const {
  auto key = [&](const char* field) { return util::setting_key(section, field); };
  using util::check_setting;
  check_setting(n_patients >= 1, key("n_patients"), "must be at least 1", n_patients);
  check_setting(sample_rate_hz >= 1000, key("sample_rate_hz"), "must be at least 1000 (murmurs reach 400 Hz)",
                sample_rate_hz);
  check_setting(duration_s >= 2 && duration_s <= 600, key("duration_s"), "must be in [2, 600]", duration_s);
  check_setting(murmur_gain >= 0, key("murmur_gain"), "must be >= 0", murmur_gain);
  check_setting(noise_gain >= 0, key("noise_gain"), "must be >= 0", noise_gain);
  check_setting(first_patient_number >= 0 && first_patient_number + n_patients <= 1000, key("first_patient_number"),
                "PIDs must stay within 000-999", first_patient_number);
}

void to_json(nlohmann::json& j, const SynthConfig& c) {
  j = {{"n_patients", c.n_patients}, {"seed", c.seed}, {"sample_rate_hz", c.sample_rate_hz},
       {"duration_s", c.duration_s}, {"murmur_gain", c.murmur_gain}, {"noise_gain", c.noise_gain},
       {"first_patient_number", c.first_patient_number}};
}

void from_json(const nlohmann::json& j, SynthConfig& c) {
  SynthConfig d;
  c.n_patients = j.value("n_patients", d.n_patients);
  c.seed = j.value("seed", d.seed);
  c.sample_rate_hz = j.value("sample_rate_hz", d.sample_rate_hz);
  c.duration_s = j.value("duration_s", d.duration_s);
  c.murmur_gain = j.value("murmur_gain", d.murmur_gain);
  c.noise_gain = j.value("noise_gain", d.noise_gain);
  c.first_patient_number = j.value("first_patient_number", d.first_patient_number);
}

PatientParams draw_patient(uint64_t seed, int patient_number) {
  Rng rng(mix(seed, kPatient, static_cast<uint64_t>(patient_number)));
  PatientParams p;
  p.heart_rate_bpm = std::clamp(72 + 11 * rng.normal(), 55.0, 100.0);
  p.systole_fraction = rng.uniform(0.29, 0.36);
  p.rr_jitter = rng.uniform(0.015, 0.045);
  p.s1_hz = rng.uniform(40, 65);
  p.s2_hz = rng.uniform(60, 100);
  p.s2_split_s = rng.uniform(0.015, 0.045);
  // Severity spreads murmurs from faint (grade 2/6) to loud (4/6): some are hard to hear.
  p.murmur_gain = std::clamp(rng.lognormal(0.45), 0.35, 2.2);
  p.murmur_pitch = rng.uniform(0.85, 1.15);
  p.noise_level = std::clamp(rng.lognormal(0.35), 0.5, 2.0);
  p.chest_gain = rng.uniform(0.7, 1.3);
  return p;
}

std::vector<CardiacCycle> cardiac_cycles(const PatientParams& patient, const std::string& position, uint64_t seed,
                                         double duration_s) {
  Rng rng(mix(seed, kBeats));
  // Upright posture raises the rate a little (less venous return, baroreflex).
  double period_s = 60.0 / (patient.heart_rate_bpm * (is_sitting(position) ? 1.04 : 1.0));
  double resp_hz = rng.uniform(0.2, 0.3), resp_phase = rng.uniform(0, 2 * kPi);
  double systole_s = patient.systole_fraction * period_s;
  std::vector<CardiacCycle> cycles;
  double t = -rng.uniform(0, period_s);  // the recording starts anywhere in a cycle
  while (t < duration_s) {
    // Respiratory sinus arrhythmia (+-3 %) plus beat-to-beat jitter.
    double rr = period_s * (1 + 0.03 * std::sin(2 * kPi * resp_hz * t + resp_phase) +
                            patient.rr_jitter * std::clamp(rng.normal(), -3.0, 3.0));
    // Systole follows the RR interval only weakly; diastole absorbs the rest.
    double sys = systole_s * (1 + 0.25 * (rr / period_s - 1));
    cycles.push_back({t, t + sys, t + rr});
    t += rr;
  }
  return cycles;
}

int patient_class(int i) {
  static const int order[5] = {data::class_index("N"), data::class_index("AS"), data::class_index("AR"),
                               data::class_index("MR"), data::class_index("MS")};
  return order[i % 5];
}

namespace {

void write_wav16(const std::string& path, const std::vector<float>& samples, int sample_rate_hz) {
  std::vector<short> pcm(samples.size());
  for (size_t i = 0; i < samples.size(); ++i)
    pcm[i] = static_cast<short>(std::lround(std::clamp(samples[i], -1.0f, 1.0f) * 32767.0f));
  util::write_atomic(path, [&](const std::string& tmp) {
    SF_INFO info{};
    info.samplerate = sample_rate_hz;
    info.channels = 1;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    SNDFILE* sf = sf_open(tmp.c_str(), SFM_WRITE, &info);
    if (!sf) throw Error(path + ": cannot create (" + sf_strerror(nullptr) + ")");
    sf_count_t written = sf_write_short(sf, pcm.data(), static_cast<sf_count_t>(pcm.size()));
    int rc = sf_close(sf);
    if (written != static_cast<sf_count_t>(pcm.size()) || rc != 0)
      throw Error(path + ": short write (disk full?)");
  });
}

}  // namespace

void write_synthetic_dataset(const std::string& dir, const SynthConfig& cfg) {
  cfg.validate();
  namespace fs = std::filesystem;
  // Row order of each patient's recordings as in BMD-HS's train.csv.
  const std::vector<std::pair<std::string, std::string>> order{
      {"sup", "Mit"}, {"sup", "Tri"}, {"sup", "Pul"}, {"sup", "Aor"},
      {"sit", "Mit"}, {"sit", "Tri"}, {"sit", "Pul"}, {"sit", "Aor"}};
  std::string csv = "patient_id,AS,AR,MR,MS,N,recording_1,recording_2,recording_3,recording_4,recording_5,"
                    "recording_6,recording_7,recording_8\n";
  std::string meta = "patient_id,Age,Gender,Smoker,Lives\n";
  for (int i = 0; i < cfg.n_patients; ++i) {
    int number = cfg.first_patient_number + i;
    int cls = patient_class(i);
    char pid[8];
    std::snprintf(pid, sizeof pid, "%03d", number);
    const std::string& name = data::kClassNames[cls];
    csv += std::string("patient_") + pid;
    for (const char* label : {"AS", "AR", "MR", "MS", "N"}) csv += name == label ? ",1" : ",0";
    PatientParams params = draw_patient(cfg.seed, number);
    for (const auto& [position, site] : order) {
      std::string stem = name + "_" + pid + "_" + position + "_" + site;
      csv += "," + stem;
      uint64_t rec_seed = mix(cfg.seed, kRecording, static_cast<uint64_t>(number),
                              static_cast<uint64_t>(site_index(site) * 2 + (position == "sit")));
      auto x = synth_recording(cls, site, position, params, rec_seed, cfg);
      write_wav16((fs::path(dir) / "train" / (stem + ".wav")).string(), x, cfg.sample_rate_hz);
    }
    csv += "\n";
    Rng rng(mix(cfg.seed, kMetadata, static_cast<uint64_t>(number)));
    int age = static_cast<int>(18 + 60 * rng.uniform());
    meta += std::string("patient_") + pid + "," + std::to_string(age) + "," + (rng.uniform() < 0.5 ? "M" : "F") +
            "," + (rng.uniform() < 0.3 ? "1" : "0") + "," + (rng.uniform() < 0.5 ? "U" : "R") + "\n";
  }
  util::write_file_atomic((fs::path(dir) / "train.csv").string(), csv);
  util::write_file_atomic((fs::path(dir) / "additional_metadata.csv").string(), meta);
  nlohmann::json j = cfg;
  util::write_file_atomic((fs::path(dir) / "synth_config.json").string(), util::json_text(j, 1) + "\n");
}

}  // namespace murmur::synth
