// JSON text for everything murmur writes or prints (files, stdout, HTTP bodies). File names,
// CSV fields and uploaded names are bytes, not always UTF-8, and nlohmann::json::dump throws on
// invalid UTF-8; json_text replaces each invalid byte with U+FFFD instead, so a stray Latin-1
// byte in a patient id or file name never turns an answer into an internal error.
//
//   murmur::util::write_file_atomic("report.json", murmur::util::json_text(report, 1) + "\n");
//   std::cout << murmur::util::json_text(answer) << "\n";   // compact, one line
//   write_file_atomic(path, json_file_text(report, 1, path));   // refuses NaN/infinity, naming where
//
// JSON has no NaN or infinity: nlohmann writes them as null, which reads back as "not a number"
// far from where it came from. Files murmur reads back go through json_file_text, which refuses
// them at write time ("report.json: metrics.auroc[2]: NaN/infinity cannot be written"). A value
// that is undefined on purpose (an AUROC with one class) is stored as null, not NaN.
#pragma once

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "util/error.h"

namespace murmur::util {

// indent < 0: compact; otherwise pretty-printed with that many spaces per level.
inline std::string json_text(const nlohmann::json& j, int indent = -1) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Throws murmur::Error "<what>: <path>: NaN/infinity cannot be written" for the first non-finite
// number in j (path as a.b[2]).
inline void check_finite(const nlohmann::json& j, const std::string& what, const std::string& path = "") {
  if (j.is_number_float() && !std::isfinite(j.get<double>()))
    throw Error(what + ": " + (path.empty() ? "(top level)" : path) + ": NaN/infinity cannot be written (" +
                std::to_string(j.get<double>()) + ")");
  if (j.is_object())
    for (auto it = j.begin(); it != j.end(); ++it) check_finite(*it, what, path.empty() ? it.key() : path + "." + it.key());
  if (j.is_array())
    for (size_t i = 0; i < j.size(); ++i) check_finite(j[i], what, path + "[" + std::to_string(i) + "]");
}

// json_text of a document that will be read back (files, checkpoint metadata): finite numbers only.
inline std::string json_file_text(const nlohmann::json& j, int indent, const std::string& what) {
  check_finite(j, what);
  return json_text(j, indent);
}

}  // namespace murmur::util
