// Shared helpers for murmur's tests.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <unistd.h>

#include <string>

namespace murmur::test {

// ../shared next to the repository (real BMD-HS data and the reference project), or "" if absent.
inline std::string shared_dir() {
  std::filesystem::path p = std::filesystem::path(MURMUR_SOURCE_DIR) / ".." / "shared";
  return std::filesystem::exists(p / "reference") ? std::filesystem::canonical(p).string() : "";
}

inline std::string bmdhs_dir() {
  std::string s = shared_dir();
  return s.empty() || !std::filesystem::exists(s + "/data/bmd-hs/train.csv") ? "" : s + "/data/bmd-hs";
}

// Files committed under tests/data.
inline std::string data_path(const std::string& name) {
  return std::string(MURMUR_SOURCE_DIR) + "/tests/data/" + name;
}

// A fresh empty temporary folder for one test.
inline std::string temp_dir(const std::string& name) {
  auto p = std::filesystem::temp_directory_path() / ("murmur_test_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p.string();
}

}  // namespace murmur::test

#define MURMUR_REQUIRE_SHARED()                                                              \
  do {                                                                                       \
    if (murmur::test::shared_dir().empty())                                                  \
      GTEST_SKIP() << "../shared (BMD-HS data and reference project) is absent next to the " \
                      "repository: skipping a test that needs it";                           \
  } while (0)

#define MURMUR_REQUIRE_BMDHS()                                                                \
  do {                                                                                        \
    if (murmur::test::bmdhs_dir().empty())                                                    \
      GTEST_SKIP() << "../shared/data/bmd-hs is absent next to the repository: skipping a test " \
                      "that needs the real recordings";                                       \
  } while (0)
