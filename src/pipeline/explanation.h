// Why did the model answer that? Occlusion over the cardiac cycle and over frequency bands:
// mask the systolic frames, then the diastolic ones, then each band, and measure how far the
// explained class's probability falls. The phases come from murmur's segmenter (segment.h), so
// a clinician can check the answer against what they hear (AS, MR systolic; AR, MS diastolic).
// No model here: explain.h runs it on LibTorch's Predictor, NativePredictor::explain without.
//
//   Explanation e = explain_with(probs_of, a, class_names, thresholds);  // probs_of(o): the model
//   std::cout << e.sentence << "\n";                       // "AS: systolic, 100-200 Hz (...)"
//   nlohmann::json j = to_json(e);
//   write_explanation_picture("a.svg", a, e, "a.wav");     // phases shaded, the occlusions under it
//
// Explained: the answer's class (single-label presets), or each suspected disease (multi-label;
// the most probable one when none is suspected). Masked frames and bands are set to the
// recording's mean level (0 after standardisation), one occlusion per forward pass.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "audio/audio.h"
#include "pipeline/occlusion.h"
#include "segment/segment.h"

namespace murmur::pipeline {

struct ExplainConfig {
  std::vector<double> band_edges_hz{25, 100, 200, 400, 800};  // bands occluded one at a time
  double min_drop = 0.05;    // a fall in probability below this is no evidence of reliance
  // One phase is "it" when its fall is at least this times the other's, else "both". 2.0 called
  // every answer "both" on development folds (docs/RESULTS.md section 5); masking either phase
  // costs a lot, so the question that tells classes apart is which costs more.
  double phase_ratio = 1.25;
  std::string segmenter = "physionet2016";  // where the phases are: SegmentConfig::named(segmenter)
  void validate(const std::string& section = "explain") const;
};

struct BandReliance {
  double lo_hz = 0, hi_hz = 0;
  double p_without = 0;  // the explained class's probability with this band masked
  double drop = 0;       // p - p_without
};

struct ClassExplanation {
  std::string cls;
  double p = 0;
  bool suspected = true;            // multi-label: at or above its threshold
  double p_without_systole = 0, p_without_diastole = 0;
  double systole_drop = 0, diastole_drop = 0;
  std::string phase;                // "systolic", "diastolic", "both" or "unclear"
  std::vector<BandReliance> bands;  // in band_edges_hz order
  int strongest_band = -1;          // index into bands, -1 if no band falls by min_drop
  std::string sentence;             // "AS: systolic, 100-200 Hz (p 0.82; 0.31 without systole, ...)"
};

struct Explanation {
  segment::Segmentation segmentation;  // of the audio explained, at its own rate
  double heart_rate_bpm = 0;
  double systole_share = 0, diastole_share = 0;  // of the recording's time, as segmented
  std::vector<ClassExplanation> all;  // every output, in class order
  std::vector<size_t> explained;      // the answer's classes: indices into `all`
  std::string sentence;               // the explained classes' sentences joined by "; "
};

// A model's probabilities [K] for the recording with occlusion `o` masked (nullptr: as it is).
using OccludedProbs = std::function<std::vector<double>(const Occlusion* o)>;

// The segmenter runs on `audio` first (murmur::Error naming `name` for audio it refuses:
// shorter than 1 s, below 2 kHz, silent); then probs(nullptr), and one call per occlusion.
Explanation explain_with(const OccludedProbs& probs, const audio::Audio& audio,
                         const std::vector<std::string>& class_names, const std::vector<float>& thresholds,
                         const ExplainConfig& cfg = {}, const std::string& name = "recording");
std::vector<double> probabilities(const Explanation& e);  // the answer itself, in class order

// Of several recordings' explanations (one patient's), the index of the one most sure of class k.
size_t most_sure(const std::vector<const Explanation*>& members, size_t k);

// The recording's picture (segment/picture.h: waveform and spectrogram with the four phases
// shaded) with the strongest band of the first class outlined on the spectrogram, and under it,
// for each class (indices into e.all; default: e.explained), its probability as answered and with
// the systole, the diastole and each band masked, as bars. `a` is the audio that was explained.
std::string explanation_svg(const audio::Audio& a, const Explanation& e, const std::string& title,
                            const std::vector<size_t>& classes = {});
// The same written atomically to a .svg path (murmur::Error naming it otherwise).
void write_explanation_picture(const std::string& path, const audio::Audio& a, const Explanation& e,
                               const std::string& title, const std::vector<size_t>& classes = {});

// The phase a cardiologist expects for a class: "systolic" (AS, MR), "diastolic" (AR, MS), or
// "" (N and anything else).
std::string expected_phase(const std::string& cls);

// "AS: systolic, 100-200 Hz, strongest at Aor (p 0.82; 0.31 without systole, 0.79 without
// diastole)"; a patient's: the explanation of its recording most sure of the class, and its site.
std::string sentence(const ClassExplanation& c, const std::string& strongest_site = "");

nlohmann::json to_json(const ClassExplanation& c);
nlohmann::json to_json(const Explanation& e);  // the explained classes only

}  // namespace murmur::pipeline
