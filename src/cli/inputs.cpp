#include "cli/inputs.h"

#include <algorithm>
#include <filesystem>

#include "audio/audio.h"
#include "util/error.h"

namespace murmur::cli {

namespace fs = std::filesystem;

std::vector<std::string> recording_files(const std::vector<std::string>& inputs) {
  std::vector<std::string> files;
  for (const auto& in : inputs) {
    if (!fs::is_directory(in)) {
      files.push_back(in);
      continue;
    }
    std::vector<std::string> found;
    for (const auto& e : fs::recursive_directory_iterator(in))
      if (e.is_regular_file() && audio::is_audio_path(e.path().string())) found.push_back(e.path().string());
    if (found.empty()) throw Error(in + ": no recordings (.wav, .flac, .ogg) inside");
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

}  // namespace murmur::cli
