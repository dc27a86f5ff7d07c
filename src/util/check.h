// One way to refuse a bad setting: the message names the key as `--set` spells it, the rule,
// and the value that broke it, so a user can fix the exact thing they typed.
//
//   util::check_setting(window_s > 0, "native.window_s", "must be > 0", window_s);
//   // murmur::Error: "native.window_s: must be > 0 (got -1)"
//
// Config structs take their section as a prefix (validate(const std::string& section = "log_mel"))
// so the same struct reports the right key wherever it is nested.
#pragma once

#include <sstream>
#include <string>

#include "util/error.h"

namespace murmur::util {

// "<key>: <rule> (got <value>)" as a murmur::Error.
[[noreturn]] inline void fail_setting(const std::string& key, const std::string& rule, const std::string& got) {
  throw Error(key + ": " + rule + " (got " + got + ")");
}

template <class T>
std::string setting_text(const T& value) {
  std::ostringstream s;
  if constexpr (std::is_same_v<T, bool>) s << (value ? "true" : "false");
  else if constexpr (std::is_convertible_v<T, std::string>) s << '"' << std::string(value) << '"';
  else s << value;
  return s.str();
}

template <class T>
void check_setting(bool ok, const std::string& key, const std::string& rule, const T& value) {
  if (!ok) fail_setting(key, rule, setting_text(value));
}

// "section.field" (or just "field" when section is empty).
inline std::string setting_key(const std::string& section, const std::string& field) {
  return section.empty() ? field : section + "." + field;
}

}  // namespace murmur::util
