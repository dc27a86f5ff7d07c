// Shared by the libFuzzer targets in fuzz/ (built with -DMURMUR_FUZZ=ON, run by `./run fuzz`).
// Each target feeds bytes to one of murmur's readers of untrusted input. A murmur::Error is the
// documented answer to bad input and ends the run quietly; anything else (another exception, a
// crash, an ASan/UBSan report, a hang, memory beyond -rss_limit_mb) is a finding.
//
//   extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
//     murmur::fuzz::expect_errors([&] { murmur::audio::decode(murmur::fuzz::bytes(data, size), "fuzz.wav"); });
//     return 0;
//   }
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "util/error.h"

namespace murmur::fuzz {

inline std::string bytes(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// Runs f; murmur::Error (bad input, said clearly) is fine, everything else propagates.
template <class F>
void expect_errors(F&& f) {
  try {
    f();
  } catch (const murmur::Error&) {
  }
}

// A folder of this process's own under $TMPDIR (default /tmp), made once.
inline const std::string& scratch_dir() {
  static const std::string dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string d = std::string(tmp && *tmp ? tmp : "/tmp") + "/murmur_fuzz_" + std::to_string(::getpid());
    std::error_code ec;
    std::filesystem::create_directories(d, ec);
    if (ec) std::abort();
    return d;
  }();
  return dir;
}

// Writes bytes to scratch_dir()/name (replacing it) and returns the path.
inline std::string write_file(const std::string& name, const std::string& content) {
  std::string path = scratch_dir() + "/" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), std::streamsize(content.size()));
  if (!out) std::abort();
  return path;
}

}  // namespace murmur::fuzz
