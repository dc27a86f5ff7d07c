// Numbers as murmur writes them into text files (predictions CSV, thresholds, metadata) and reads
// them back: what is written reads back as the same value, bit for bit, and what cannot be read
// back (NaN, infinity) is refused when it is written, not when someone reads the file later.
//
//   std::string s = util::float_text(p, "p_AS");      // "0.25", "4.34402524e-44"; NaN -> Error
//   float q = util::parse_float(s);                    // == p; throws std::invalid_argument
//   int k = util::parse_int("3");                      // whole field, else std::invalid_argument
//
// Reading accepts every finite float the writer can produce, subnormals included (std::stof
// throws std::out_of_range on those, which once broke a cv run on a confident model's p_AS of
// 4.3e-44). Text that overflows a float, "nan", "inf", blanks and trailing bytes are refused.
// Probabilities also have a floor: a probability below kProbabilityFloor is noise of the float
// arithmetic, not a finding, and flush_probability() makes it 0 before anything stores it.
#pragma once

#include <cfloat>
#include <string>

namespace murmur::util {

// Below this (the smallest normal float, 1.2e-38) a probability is written as 0.
constexpr float kProbabilityFloor = FLT_MIN;
template <class Real>  // float or double
Real flush_probability(Real p) { return p >= 0 && p < Real(kProbabilityFloor) ? Real(0) : p; }  // else as is

// The "%.9g" text of a finite float (9 significant digits: every float round-trips).
// Throws murmur::Error "<what>: NaN/infinity cannot be written" for a value that is not finite.
std::string float_text(float value, const std::string& what = "value");
// The same for doubles (17 significant digits).
std::string double_text(double value, const std::string& what = "value");

// The whole field as a finite float / double / int. Throws std::invalid_argument (the caller adds
// file and line) for empty text, trailing bytes, NaN, infinity, or a value out of range.
float parse_float(const std::string& text);
double parse_double(const std::string& text);
int parse_int(const std::string& text);

}  // namespace murmur::util
