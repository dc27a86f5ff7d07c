// Synthetic phonocardiograms in BMD-HS's layout, for tests, demos and sanity checks of the
// pipeline where the answer is known. Deterministic: the same config gives byte-identical files.
// The physiological model and its sources are in docs/synth.md.
//
//   murmur::synth::SynthConfig cfg;            // 4 kHz, 20 s, seed 1
//   cfg.n_patients = 20;                       // classes cycle N, AS, AR, MR, MS
//   murmur::synth::write_synthetic_dataset("synthetic", cfg);  // BMD-HS layout, 16-bit mono WAVs
//   murmur::synth::PatientParams p = murmur::synth::draw_patient(/*seed=*/1, /*patient=*/0);
//   std::vector<float> x = murmur::synth::synth_recording(murmur::data::class_index("AS"), "Aor", "sit", p,
//                                                         /*seed=*/7, cfg);
//
// A patient depends only on (seed, patient number), a recording only on (seed, patient number,
// position, site): a 10-patient set is a prefix of the 20-patient set with the same seed.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace murmur::synth {

struct SynthConfig {
  int n_patients = 20;
  uint64_t seed = 1;
  int sample_rate_hz = 4000;     // BMD-HS's rate
  double duration_s = 20;        // BMD-HS's length
  double murmur_gain = 1.0;      // scales every murmur: < 1 makes the task harder
  double noise_gain = 1.0;       // scales the recording noise: > 1 makes the task harder
  int first_patient_number = 1;  // PID of the first patient ("001")

  void validate(const std::string& section = "synth") const;  // "synth.field: rule (got v)"
};

void to_json(nlohmann::json& j, const SynthConfig& c);
void from_json(const nlohmann::json& j, SynthConfig& c);

// One synthetic patient. draw_patient spreads these over plausible adult ranges.
struct PatientParams {
  double heart_rate_bpm = 72;       // mean rate; 55-100 when drawn
  double systole_fraction = 0.32;   // S1 onset to S2 onset over the mean cycle
  double rr_jitter = 0.03;          // beat-to-beat RR standard deviation, fraction of the cycle
  double s1_hz = 50;                // centre frequency of S1 (mitral/tricuspid closure)
  double s2_hz = 80;                // centre frequency of S2 (aortic/pulmonary closure)
  double s2_split_s = 0.03;         // A2 -> P2 delay
  double murmur_gain = 1.0;         // severity: murmur amplitude relative to the class default
  double murmur_pitch = 1.0;        // scales murmur band frequencies
  double noise_level = 1.0;         // scales broadband noise and drift
  double chest_gain = 1.0;          // body habitus: overall loudness of heart sounds
};

PatientParams draw_patient(uint64_t seed, int patient_number);

// One cardiac cycle of a recording, in seconds from the recording's start.
struct CardiacCycle {
  double s1_s = 0;      // S1 onset (start of systole)
  double s2_s = 0;      // S2 (A2) onset (end of systole)
  double next_s1_s = 0; // next S1 onset (end of diastole)
};

// The beats synth_recording(..., seed, cfg) places: same arguments, same beats.
std::vector<CardiacCycle> cardiac_cycles(const PatientParams& patient, const std::string& position, uint64_t seed,
                                         double duration_s);

// cls: class index in data::kClassNames order (AR=0, AS=1, MR=2, MS=3, N=4). site Aor/Mit/Pul/Tri,
// position sit/sup. Returns cfg.duration_s * cfg.sample_rate_hz samples in [-1, 1].
// Throws murmur::Error for an unknown class, site or position.
std::vector<float> synth_recording(int cls, const std::string& site, const std::string& position,
                                   const PatientParams& patient, uint64_t seed, const SynthConfig& cfg = {});

// The class of patient i (0-based) in write_synthetic_dataset: N, AS, AR, MR, MS, N, ...
int patient_class(int i);

// Writes dir/train.csv, dir/additional_metadata.csv, dir/synth_config.json and dir/train/*.wav
// (each atomically). Existing files of the same names are replaced; others are left alone.
void write_synthetic_dataset(const std::string& dir, const SynthConfig& cfg);

}  // namespace murmur::synth
