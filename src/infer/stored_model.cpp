#include "infer/stored_model.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "util/error.h"
#include "util/number_text.h"

namespace murmur::infer {

namespace fs = std::filesystem;

std::vector<std::string> model_files(const std::string& path, std::string* why_not) {
  std::vector<std::string> files;
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return {path};
  for (auto& e : fs::recursive_directory_iterator(path, ec))
    if (e.path().filename() == "model.pth") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  if (files.empty() && why_not) *why_not = path + ": no model.pth inside";
  return files;
}

bool is_picture_file(const std::string& path) {
  const std::string ext = fs::path(path).extension().string();
  return ext == ".png" || ext == ".PNG";
}

audio::LoadConfig stored_audio(const nlohmann::json& preset, int default_rate_hz) {
  audio::LoadConfig a;
  const nlohmann::json audio = preset.value("audio", nlohmann::json::object());
  a.target_rate_hz = audio.value("target_rate_hz", default_rate_hz);
  a.min_duration_s = audio.value("min_duration_s", a.min_duration_s);
  a.max_duration_s = audio.value("max_duration_s", a.max_duration_s);
  a.validate();
  return a;
}

double stored_temperature(const nlohmann::json& preset, const std::string& source) {
  double t = 1.0;
  if (preset.contains("calibration")) t = preset["calibration"].value("temperature", 1.0);
  if (!(t >= 0.01 && t <= 100)) throw Error(source + ": calibration.temperature out of range");
  return t;
}

std::vector<float> softmax(const std::vector<float>& z) {
  const float top = *std::max_element(z.begin(), z.end());
  std::vector<float> p(z.size());
  double sum = 0;
  for (size_t k = 0; k < z.size(); ++k) sum += (p[k] = std::exp(z[k] - top));
  for (auto& v : p) v = float(v / sum);
  return p;
}

std::vector<float> calibrated(std::vector<float> p, double temperature) {
  if (temperature == 1.0) return p;
  std::vector<float> z(p.size());
  for (size_t k = 0; k < p.size(); ++k) z[k] = float(std::log(std::max(p[k], 1e-12f)) / temperature);
  return softmax(z);
}

void add_floored(std::vector<float>& sum, const std::vector<float>& p) {
  for (size_t k = 0; k < p.size() && k < sum.size(); ++k) sum[k] += p[k] < util::kProbabilityFloor ? 0.f : p[k];
}

}  // namespace murmur::infer
