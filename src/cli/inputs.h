// What batch commands (predict, segment) take as inputs: files as given, folders replaced by the
// recordings inside them.
//
//   std::vector<std::string> files = recording_files({"a.wav", "data/train"});
#pragma once

#include <string>
#include <vector>

namespace murmur::cli {

// Files as given; folders replaced by the recordings inside them (recursively, sorted by path).
// A folder without recordings is a murmur::Error naming it.
std::vector<std::string> recording_files(const std::vector<std::string>& inputs);

}  // namespace murmur::cli
