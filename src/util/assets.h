// Files of src/web/ (the web page, its script, the stylesheet it shares with the HTML report),
// compiled into the program by cmake/embed.cmake so that murmur needs no files at run time.
//
//   const std::string& css = murmur::util::asset("style.css");
//   murmur::util::asset("nope.txt");   // murmur::Error "asset nope.txt: unknown (embedded: ...)"
//
// Edit the files in src/web/; the build regenerates the embedded copy when they change.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace murmur::util {

// The bytes of an embedded file, by file name: "page.html", "page.js", "style.css".
const std::string& asset(const std::string& name);

// Every embedded file name, sorted.
std::vector<std::string> asset_names();

namespace detail {
struct EmbeddedAsset {
  const char* name;  // nullptr ends the table
  const unsigned char* data;
  std::size_t size;
};
extern const EmbeddedAsset kEmbeddedAssets[];  // in the generated source
}  // namespace detail

}  // namespace murmur::util
