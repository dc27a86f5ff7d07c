// Files murmur writes: always atomically (temporary file in the same folder, then rename),
// so a crash or a full disk never leaves a half-written checkpoint, report or image.
//
//   murmur::util::write_file_atomic("run/report.json", json.dump(1));
//   murmur::util::write_atomic("model.pth", [](const std::string& tmp) { save(tmp); });
#pragma once

#include <functional>
#include <string>

namespace murmur::util {

// Calls write(tmp_path) and renames tmp_path onto path; removes tmp_path if write throws.
// Creates path's parent folders.
void write_atomic(const std::string& path, const std::function<void(const std::string&)>& write);

// Writes bytes to path atomically.
void write_file_atomic(const std::string& path, const std::string& bytes);

// Whole file as bytes; throws murmur::Error naming the file if it cannot be read.
std::string read_file(const std::string& path);

// FNV-1a 64-bit of bytes as 16 hex digits: a cheap content fingerprint (caches, data sets).
std::string fingerprint(const std::string& bytes);

}  // namespace murmur::util
