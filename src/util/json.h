// JSON text for everything murmur writes or prints (files, stdout, HTTP bodies). File names,
// CSV fields and uploaded names are bytes, not always UTF-8, and nlohmann::json::dump throws on
// invalid UTF-8; json_text replaces each invalid byte with U+FFFD instead, so a stray Latin-1
// byte in a patient id or file name never turns an answer into an internal error.
//
//   murmur::util::write_file_atomic("report.json", murmur::util::json_text(report, 1) + "\n");
//   std::cout << murmur::util::json_text(answer) << "\n";   // compact, one line
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace murmur::util {

// indent < 0: compact; otherwise pretty-printed with that many spaces per level.
inline std::string json_text(const nlohmann::json& j, int indent = -1) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace murmur::util
