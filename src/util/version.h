// Which murmur this is: the project version and the commit it was built from, recorded in every
// checkpoint, report and `murmur --version`.
//
//   std::string v = std::string(MURMUR_VERSION) + " (" + murmur::util::git_commit() + ")";
//   // "0.1.0 (4049b16)", or "0.1.0 (4049b16-dirty)" for a build with uncommitted changes
//
// git_commit() is generated at every build by cmake/version.cmake ("unknown" outside git).
#pragma once

namespace murmur::util {

const char* git_commit();

}  // namespace murmur::util
