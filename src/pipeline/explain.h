// Explanations (pipeline/explanation.h) of a LibTorch Predictor's answers.
//
//   auto p = Predictor::open("runs/native");               // presets native and valves
//   Explanation e = explain(p, audio::load("a.wav"));      // any rate >= 2 kHz, >= 1 s
//   std::cout << e.sentence << "\n";                       // "AS: systolic, 100-200 Hz (...)"
#pragma once

#include <string>

#include "audio/audio.h"
#include "pipeline/explanation.h"
#include "pipeline/predictor.h"

namespace murmur::pipeline {

// murmur::Error for presets that cannot be occluded (seed) and for audio the segmenter refuses
// (shorter than 1 s, below 2 kHz, silent), naming `name`.
Explanation explain(const Predictor& p, const audio::Audio& audio, const ExplainConfig& cfg = {},
                    const std::string& name = "recording");
// The same from the features a caller already has (stored = p.features_of(audio)): no second
// pass. An undefined `stored` is computed here, after the segmenter has checked the audio.
Explanation explain_stored(const Predictor& p, const audio::Audio& audio, const torch::Tensor& stored,
                           const ExplainConfig& cfg = {}, const std::string& name = "recording");
// A probability tensor [K] (Predictor's answers) as doubles in class order, as explanation.h and
// the ServeModel answers hold them.
std::vector<double> probabilities(const torch::Tensor& probs);

}  // namespace murmur::pipeline
