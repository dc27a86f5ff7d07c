// Pieces shared by synth.cpp (config, patients, beats, data set files) and synth_sound.cpp (the
// sound of one recording): the seeded random streams and the site/position names. Not public.
//
//   Rng rng(mix(seed, kBeats));           // an independent stream per (seed, purpose, ...)
//   double u = rng.uniform(0.2, 0.3), z = rng.normal();
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <string>

namespace murmur::synth::detail {

constexpr double kPi = 3.14159265358979323846;

// Explicit formulas on top of std::mt19937_64 (whose output the standard fixes): the std::
// distributions are implementation-defined, so files would differ between standard libraries.
class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(seed) {}
  double uniform() { return static_cast<double>(gen_() >> 11) * 0x1.0p-53; }  // [0, 1)
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Box-Muller; one value per call (the pair's second half is dropped to keep the stream simple).
  double normal() {
    double u1 = 1.0 - uniform();  // (0, 1]
    double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2 * kPi * u2);
  }
  // Zero-mean, unit-variance white noise, cheaper than normal(): filtered, it is Gaussian enough.
  // Two samples per 64-bit draw (32-bit resolution is plenty for noise that ends up 16-bit).
  double white() {
    uint32_t bits;
    if (spare_) {
      bits = static_cast<uint32_t>(last_ >> 32);
    } else {
      last_ = gen_();
      bits = static_cast<uint32_t>(last_);
    }
    spare_ = !spare_;
    return ((bits + 0.5) * 0x1.0p-31 - 1.0) * 1.7320508075688772;
  }
  // Multiplicative spread: exp(sigma * N(0,1)), median 1.
  double lognormal(double sigma) { return std::exp(sigma * normal()); }

 private:
  std::mt19937_64 gen_;
  uint64_t last_ = 0;
  bool spare_ = false;
};

inline uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// Independent streams from one seed: mix(seed, a, b, ...) never depends on call order.
inline uint64_t mix(uint64_t seed, uint64_t a, uint64_t b = 0, uint64_t c = 0) {
  return splitmix64(splitmix64(splitmix64(splitmix64(seed) ^ a) ^ (b * 0x632BE59BD9B4E019ULL)) ^
                    (c * 0x85EBCA77C2B2AE63ULL));
}

enum Stream : uint64_t { kPatient = 1, kBeats, kNoise, kMurmur, kMetadata, kRecording };

// Index in data::kSites (Aor, Mit, Pul, Tri); throws murmur::Error for another site.
int site_index(const std::string& site);
// true for "sit", false for "sup"; throws murmur::Error for another position.
bool is_sitting(const std::string& position);

}  // namespace murmur::synth::detail
