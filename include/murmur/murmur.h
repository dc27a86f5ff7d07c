// murmur as a library: load a model, classify heart-sound samples, fuse a patient's recordings,
// find the heart cycle, follow a live stream. This is the installed, stable surface
// (`find_package(murmur CONFIG)`, target murmur::murmur): it needs no LibTorch or JSON headers.
//
//   #include <murmur/murmur.h>
//   murmur::Model model = murmur::Model::load("model.pth");   // murmur's, seed_model.pth, a cv run folder
//   std::vector<float> pcm = ...;                              // mono samples in [-1, 1]
//   murmur::Answer a = model.predict(pcm.data(), pcm.size(), /*rate_hz=*/4000);
//   std::cout << a.label << " " << a.probabilities[0] << " " << a.json << "\n";
//   murmur::Answer patient = model.fuse({a, b});              // one patient's recordings
//   murmur::HeartCycles hc = murmur::heart_cycles(pcm.data(), pcm.size(), 4000);
//   murmur::Stream live(model, 4000);                          // 5 s window, a result every 1 s
//   for (const std::string& hop : live.push(chunk, n)) std::cout << hop << "\n";
//
// Every answer's `json` is the text `murmur predict --json` prints for a recording (or a
// patient), so the CLI, the service and a program agree to the last digit. Bad input (NaN,
// silence, too short, a rate below 1 kHz) throws murmur::Error naming `name` and the problem.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "murmur/error.h"

namespace murmur {

std::string version();  // "0.1.0 (commit)"

// LibTorch's worker threads for every model in the process; 0 = one per core, which is also what
// the first Model::load sets unless set_threads was called before.
void set_threads(int threads);

struct Answer {
  std::string label;                     // the class named: "AS"; multi-label "AR+AS" or "N"
  std::vector<std::string> class_names;  // model's classes, in output order
  std::vector<double> probabilities;     // one per class name
  std::vector<std::string> findings;     // multi-label models: the diseases suspected; else empty
  std::string verdict;                   // multi-label models: "AR and AS suspected"; else empty
  std::string quality;                   // signal quality of a recording: "ok", "clipping", "silence",
                                         // "noisy" (audio/quality.h); empty for a patient
  std::string json;                      // the whole answer as murmur prints it
};

class Model {  // copies share one loaded model; calls from several threads take turns
 public:
  // murmur::Error naming the path when it is missing or not a model.
  static Model load(const std::string& path);

  // samples: mono, n_samples of them at rate_hz (any rate >= 1 kHz; resampled as the model needs).
  Answer predict(const float* samples, size_t n_samples, int rate_hz, const std::string& name = "samples") const;
  Answer predict_file(const std::string& path) const;  // WAV/FLAC/OGG (a .png with a seed model)
  // A patient's answer from its recordings' answers, by the model's fusion rule (mean or geometric).
  Answer fuse(const std::vector<Answer>& recordings) const;
  // The answer and why (native-family models): how far it falls with the systolic frames, the
  // diastolic frames or one band masked; `json` gains "explanation" as `predict --explain` prints
  // it. murmur::Error for models whose features cannot be masked (seed) or audio under 1 s.
  Answer explain(const float* samples, size_t n_samples, int rate_hz, const std::string& name = "samples") const;

  const std::vector<std::string>& class_names() const;
  std::string preset() const;     // "native", "valves", "seed", ...
  std::string fusion() const;     // the patient fusion rule: "mean" or "geometric"
  std::string info_json() const;  // provenance, preset configuration, models (as GET /v1/model)

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
  friend class Stream;
};

// The heart cycle (Springer's segmentation, no model needed).
struct Phase {
  std::string state;       // "S1", "systole", "S2" or "diastole"
  double start_s = 0, end_s = 0;
  bool censored = false;   // cut by the recording's start or end
};
struct HeartCycles {
  double heart_rate_bpm = 0, systolic_interval_s = 0;
  std::vector<Phase> phases;
  std::string json;        // as `murmur segment --json` prints it, with per-frame states
};
HeartCycles heart_cycles(const float* samples, size_t n_samples, int rate_hz, const std::string& name = "samples");

// Live classification: a rolling window, a quality gate, a running patient estimate (the stream
// keeps its model loaded). Each hop and the summary are JSON lines as `murmur stream` prints them.
class Stream {
 public:
  Stream(const Model& model, int rate_hz, double window_s = 5.0, double hop_s = 1.0);
  ~Stream();
  Stream(Stream&&) noexcept;
  std::vector<std::string> push(const float* samples, size_t n_samples);  // the hops completed
  std::string summary() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace murmur
