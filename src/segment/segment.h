// Heart-cycle segmentation: where S1, systole, S2 and diastole are in a phonocardiogram, after
// Springer et al. (IEEE TBME 2016): envelope features at 50 Hz, heart rate and systolic interval
// from the envelope's autocorrelation (Schmidt et al. 2010), a duration-dependent hidden
// semi-Markov model with logistic-regression emissions, decoded by a Viterbi over durations
// that lets the first and last states run past the recording's ends. Method: docs/segment.md.
//
//   murmur::segment::SegmentConfig cfg;                    // defaults below
//   murmur::segment::Segmentation s = murmur::segment::segment(pcm, 4000, cfg, "a.wav");
//   s.heart_rate_bpm, s.systolic_interval_s                // per recording
//   for (auto& c : s.cycles) use(c.s1_onset_s, c.s2_onset_s, c.systole_s, c.diastole_s);
//   std::vector<murmur::segment::State> per_frame = murmur::segment::states_at(s, 0.032, n_frames);
//
// Any recording of at least min_duration_s at min_rate_hz or more (any rate; resampled to
// 1 kHz inside). Throws murmur::Error naming `name` for a short, low-rate, non-finite or silent
// recording. No LibTorch: plain std::vector<float>.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace murmur::segment {

enum class State : int { kS1 = 0, kSystole = 1, kS2 = 2, kDiastole = 3 };
inline constexpr int kNumStates = 4;
const char* state_name(State s);  // "S1", "systole", "S2", "diastole"

struct SegmentConfig {
  double min_duration_s = 1.0;
  int min_rate_hz = 2000;             // the band up to 400 Hz must survive, with margin
  double min_heart_rate_bpm = 35;     // autocorrelation search range of the heart rate
  double max_heart_rate_bpm = 200;
  // Emission model (emission.h) and sound durations, fitted on PhysioNet 2016 (score.h).
  std::string emissions = "physionet2016";
  double s1_mean_s = 0.1296, s1_sd_s = 0.0176;  // Schmidt et al. (2010): 0.122, 0.022
  double s2_mean_s = 0.1040, s2_sd_s = 0.0170;  // 0.092, 0.022
  // Systole state (S1 end to S2 onset): sd; diastole (S2 end to next S1): sd = fraction * mean
  // + floor. Springer uses 0.025 s and 0.07 * mean + 0.006 s; wider tolerates arrhythmia.
  double systole_sd_s = 0.03;
  double diastole_sd_fraction = 0.1;
  double diastole_sd_floor_s = 0.02;
  // Hypotheses decoded (the likeliest path wins): heart rates at autocorrelation peaks of at
  // least min_relative_autocorrelation x the highest, and per rate, systolic intervals (S1 onset
  // to S2 onset) at peaks within [min, max]_systolic_interval_s. S1-S2 is ~0.45 s at 40 bpm and
  // ~0.2 s at 160 bpm (Weissler's QS2 = 546 - 2.1 HR ms, minus the Q-S1 delay).
  int max_candidates = 3;
  double min_relative_autocorrelation = 0.5;
  int max_systole_candidates = 3;
  double min_systolic_interval_s = 0.12, max_systolic_interval_s = 0.6;

  void validate(const std::string& section = "segment") const;  // "segment.field: rule (got v)"
  // The first segmenter: synthetic emissions, Schmidt's durations (older phase-channel models').
  static SegmentConfig synthetic();
  static SegmentConfig named(const std::string& emissions);  // {} or synthetic(); else throws
};

void to_json(nlohmann::json& j, const SegmentConfig& c);
void from_json(const nlohmann::json& j, SegmentConfig& c);

inline constexpr double kFrameRateHz = 50;  // one state per 20 ms frame (Springer's rate)

// One complete heart cycle: S1, systole, S2, diastole, then the next S1 starts. Seconds from the
// recording's start; systole_s / diastole_s are the silent (or murmur) intervals between sounds.
struct Cycle {
  double s1_onset_s = 0, s1_offset_s = 0, s2_onset_s = 0, s2_offset_s = 0, next_s1_onset_s = 0;
  double systole_s = 0;   // s2_onset_s - s1_offset_s
  double diastole_s = 0;  // next_s1_onset_s - s2_offset_s
};

// One run of a state in the frame sequence; [start_s, end_s). Truncated by a recording edge if
// `censored` (the sound or interval started before the recording or ends after it).
struct Segment {
  State state;
  double start_s = 0, end_s = 0;
  bool censored = false;
};

struct Segmentation {
  double heart_rate_bpm = 0;          // from the autocorrelation, the hypothesis decoded
  double systolic_interval_s = 0;     // S1 onset to S2 onset, ditto
  double duration_s = 0;
  std::vector<State> states;          // one per frame at kFrameRateHz, frame i = [i, i+1) / 50 s
  std::vector<Segment> segments;      // the runs of `states`, in order
  std::vector<Cycle> cycles;          // complete cycles only
  double log_likelihood_per_frame = 0;  // of the decoded path: low values flag poor fits
};

struct EmissionModel;  // emission.h; null: the one cfg.emissions names
Segmentation segment(const std::vector<float>& pcm, int rate_hz, const SegmentConfig& cfg = {},
                     const std::string& name = "recording", const EmissionModel* emissions = nullptr);

// The state at the centre of each of n_frames frames of hop_s seconds (frame k centred at
// k * hop_s, as a centred STFT's frames are): per-frame phase labels for another frame rate.
std::vector<State> states_at(const Segmentation& s, double hop_s, int n_frames);

// {"heart_rate_bpm", "systolic_interval_s", "duration_s", "n_cycles", "cycles": [{...}],
//  "log_likelihood_per_frame"}; with_states adds "frame_rate_hz" and "states" (0..3 per frame).
nlohmann::json to_json(const Segmentation& s, bool with_states = false);

}  // namespace murmur::segment
