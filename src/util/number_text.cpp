// Numbers in text files (number_text.h): written to round-trip, read back whole and finite.
#include "util/number_text.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <stdexcept>

#include "util/error.h"

namespace murmur::util {

namespace {

std::string printed(double value, int digits, const std::string& what) {
  if (!std::isfinite(value)) throw Error(what + ": NaN/infinity cannot be written (" + std::to_string(value) + ")");
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.*g", digits, value);
  return buf;
}

// strtof/strtod accept leading blanks, hex floats, "nan" and "inf"; a number in a murmur file is
// plain decimal text, so the first byte must be a sign, a digit or a point.
void check_start(const std::string& text) {
  if (text.empty()) throw std::invalid_argument("empty");
  const char c = text[0];
  if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.'))
    throw std::invalid_argument("not a number");
  for (char ch : text)
    if (ch == 'x' || ch == 'X' || ch == 'n' || ch == 'N' || ch == 'i' || ch == 'I')
      throw std::invalid_argument("not a decimal number");
}

template <class T, class Parse>
T parse_real(const std::string& text, Parse parse) {
  check_start(text);
  char* end = nullptr;
  errno = 0;
  const T value = parse(text.c_str(), &end);
  if (end != text.c_str() + text.size()) throw std::invalid_argument("trailing characters");
  // ERANGE also reports an underflow to a subnormal or to zero: that value is exact enough (it is
  // what the writer wrote). An overflow returns +-HUGE_VAL: refused.
  if (!std::isfinite(value)) throw std::invalid_argument("out of range");
  return value;
}

}  // namespace

std::string float_text(float value, const std::string& what) { return printed(value, 9, what); }
std::string double_text(double value, const std::string& what) { return printed(value, 17, what); }

float parse_float(const std::string& text) { return parse_real<float>(text, std::strtof); }
double parse_double(const std::string& text) { return parse_real<double>(text, std::strtod); }

int parse_int(const std::string& text) {
  if (text.empty() || !(std::isdigit(static_cast<unsigned char>(text[0])) || text[0] == '-' || text[0] == '+'))
    throw std::invalid_argument("not an integer");
  char* end = nullptr;
  errno = 0;
  const long value = std::strtol(text.c_str(), &end, 10);
  if (end != text.c_str() + text.size()) throw std::invalid_argument("trailing characters");
  if (errno == ERANGE || value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max())
    throw std::invalid_argument("out of range");
  return static_cast<int>(value);
}

}  // namespace murmur::util
