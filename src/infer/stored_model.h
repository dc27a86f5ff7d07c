// What the LibTorch-free predictors (infer/native_predictor.h, seed_predictor.h) share: the files
// of a model path, the settings of a murmur checkpoint both read the same way, and the step from
// a model's probabilities to the answer, as pipeline::Model and pipeline::Predictor take it.
//
//   auto files = model_files("runs/cv", &why);            // every model.pth inside, sorted
//   audio::LoadConfig a = stored_audio(ck.murmur_config, 4000);
//   std::vector<float> p = calibrated(softmax(z), stored_temperature(ck.murmur_config, file));
//   add_floored(sum, p);                                   // then sum / models
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "audio/audio.h"

namespace murmur::infer {

// A model file as it is, or every model.pth under a folder (a cv run: one per fold), sorted.
// Empty, saying why in *why_not, for a folder with none.
std::vector<std::string> model_files(const std::string& path, std::string* why_not);

bool is_picture_file(const std::string& path);  // a .png (the seed preset's pictures)

// The preset's "audio" section (Preset::to_json), its rate `default_rate_hz` if absent; validated.
audio::LoadConfig stored_audio(const nlohmann::json& preset, int default_rate_hz);

// "calibration": {"temperature"}, 1 if absent; murmur::Error starting with `source` outside [0.01, 100].
double stored_temperature(const nlohmann::json& preset, const std::string& source);

std::vector<float> softmax(const std::vector<float>& z);

// Model::calibrated: p^(1/T), renormalised (p itself when T = 1).
std::vector<float> calibrated(std::vector<float> p, double temperature);

// sum += p, a probability under util::kProbabilityFloor (float noise) counted as 0.
void add_floored(std::vector<float>& sum, const std::vector<float>& p);

}  // namespace murmur::infer
