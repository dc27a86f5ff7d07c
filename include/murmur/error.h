// murmur::Error: the one exception type the library throws for bad input or bad settings.
//
//   throw murmur::Error("AS_003_sit_Aor.wav: truncated after 41872 of 80000 frames");
//
// The message names the file (or the config field) first, then the problem, so a
// batch command can print it as is and move on. The library never calls exit().
// Part of the installed interface (murmur/murmur.h); inside murmur it is util/error.h.
#pragma once

#include <stdexcept>
#include <string>

namespace murmur {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace murmur
