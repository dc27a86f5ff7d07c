#include "util/assets.h"

#include <map>

#include "util/error.h"

namespace murmur::util {

namespace {

const std::map<std::string, std::string>& table() {
  static const std::map<std::string, std::string> files = [] {
    std::map<std::string, std::string> m;
    for (const auto* a = detail::kEmbeddedAssets; a->name; ++a)
      m[a->name] = std::string(reinterpret_cast<const char*>(a->data), a->size);
    return m;
  }();
  return files;
}

}  // namespace

std::vector<std::string> asset_names() {
  std::vector<std::string> names;
  for (const auto& [name, bytes] : table()) names.push_back(name);
  return names;
}

const std::string& asset(const std::string& name) {
  auto it = table().find(name);
  if (it == table().end()) {
    std::string known;
    for (const auto& n : asset_names()) known += (known.empty() ? "" : ", ") + n;
    throw Error("asset " + name + ": unknown (embedded: " + known + ")");
  }
  return it->second;
}

}  // namespace murmur::util
