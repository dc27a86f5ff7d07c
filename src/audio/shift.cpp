#include "audio/shift.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdio>
#include <random>

#include "util/error.h"

namespace murmur::audio {

namespace {

constexpr double kPi = 3.14159265358979323846;

double power(const std::vector<float>& x) {
  double s = 0;
  for (float v : x) s += double(v) * v;
  return x.empty() ? 0 : s / double(x.size());
}

std::vector<float> noise_of(const std::string& kind, size_t n, int rate_hz, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g(0.f, 1.f);
  std::vector<float> w(n);
  if (kind == "white") {
    for (auto& v : w) v = g(rng);
  } else if (kind == "pink") {  // Paul Kellet's economy filter: -3 dB/octave within ~1 dB
    double b0 = 0, b1 = 0, b2 = 0;
    for (auto& v : w) {
      const double x = g(rng);
      b0 = 0.99765 * b0 + x * 0.0990460;
      b1 = 0.96300 * b1 + x * 0.2965164;
      b2 = 0.57000 * b2 + x * 1.0526913;
      v = float(b0 + b1 + b2 + x * 0.1848);
    }
  } else if (kind == "breathing") {  // brown noise under 300 Hz, swelling with each breath
    double b = 0;
    for (auto& v : w) v = float(b = 0.995 * b + g(rng));
    biquad(w, rate_hz, Biquad::kLowPass, 300);
    biquad(w, rate_hz, Biquad::kHighPass, 20);
    for (size_t i = 0; i < n; ++i) {
      const double breath = 0.5 - 0.5 * std::cos(2 * kPi * 0.25 * double(i) / rate_hz);
      w[i] *= float(breath * breath);
    }
  } else if (kind == "friction") {  // skin or clothing rubbing the chest piece
    std::fill(w.begin(), w.end(), 0.f);
    std::exponential_distribution<double> gap(2.0);  // bursts per second
    std::uniform_real_distribution<double> len(0.02, 0.08);
    for (double t = gap(rng); t < double(n) / rate_hz; t += gap(rng)) {
      const size_t a = size_t(t * rate_hz), m = size_t(len(rng) * rate_hz);
      for (size_t i = 0; i < m && a + i < n; ++i) w[a + i] = g(rng) * float(std::sin(kPi * double(i) / double(m)));
    }
    biquad(w, rate_hz, Biquad::kHighPass, 200);
  } else {
    throw Error("shift: unknown noise '" + kind + "' (white, pink, breathing, friction)");
  }
  return w;
}

std::vector<Audio> crops(const Audio& a, double seconds) {
  std::vector<Audio> out;
  const size_t len = size_t(std::lround(seconds * a.sample_rate_hz));
  for (size_t start = 0; len > 0 && start + len <= a.samples.size(); start += len) {
    Audio c = a;
    c.samples.assign(a.samples.begin() + long(start), a.samples.begin() + long(start + len));
    out.push_back(std::move(c));
  }
  return out;
}

Audio one(const Audio& a, const Shift& s, uint64_t seed) {
  Audio x = a;
  if (s.family == "stethoscope") {
    if (s.kind == "extended") {
      biquad(x.samples, x.sample_rate_hz, Biquad::kHighPass, 20);
      biquad(x.samples, x.sample_rate_hz, Biquad::kLowPass, 2000);
    } else if (s.kind == "bell") {
      biquad(x.samples, x.sample_rate_hz, Biquad::kHighPass, 20);
      biquad(x.samples, x.sample_rate_hz, Biquad::kLowPass, 1000);
      biquad(x.samples, x.sample_rate_hz, Biquad::kLowShelf, 200, 6.0);
    } else if (s.kind == "diaphragm") {
      biquad(x.samples, x.sample_rate_hz, Biquad::kHighPass, 100);
      biquad(x.samples, x.sample_rate_hz, Biquad::kLowPass, 500);
    } else {
      throw Error("shift: unknown stethoscope response '" + s.kind + "' (extended, bell, diaphragm)");
    }
  } else if (s.family == "rate") {
    x = at_rate(std::move(x), int(std::lround(s.strength)));
  } else if (s.family == "noise") {
    const auto w = noise_of(s.kind, x.samples.size(), x.sample_rate_hz, seed);
    const double ps = power(x.samples), pw = power(w);
    const float k = pw > 0 ? float(std::sqrt(ps / pw / std::pow(10.0, s.strength / 10))) : 0.f;
    for (size_t i = 0; i < w.size(); ++i) x.samples[i] += k * w[i];
  } else if (s.family == "gain") {
    const float k = float(std::pow(10.0, s.strength / 20));
    for (auto& v : x.samples) v = std::clamp(v * k, -1.f, 1.f);
  } else {
    throw Error("shift: unknown family '" + s.family + "' (stethoscope, rate, crop, noise, gain, combined)");
  }
  return x;
}

}  // namespace

BiquadCoefs rbj(int rate_hz, Biquad type, double f0, double gain_db, double q) {
  const double w0 = 2 * kPi * f0 / rate_hz, c = std::cos(w0), alpha = std::sin(w0) / (2 * q);
  BiquadCoefs k;
  if (type == Biquad::kLowPass) {
    k = {(1 - c) / 2, 1 - c, (1 - c) / 2, 1 + alpha, -2 * c, 1 - alpha};
  } else if (type == Biquad::kHighPass) {
    k = {(1 + c) / 2, -(1 + c), (1 + c) / 2, 1 + alpha, -2 * c, 1 - alpha};
  } else {
    const double A = std::pow(10.0, gain_db / 40), sa = 2 * std::sqrt(A) * alpha;
    k = {A * ((A + 1) - (A - 1) * c + sa), 2 * A * ((A - 1) - (A + 1) * c), A * ((A + 1) - (A - 1) * c - sa),
         (A + 1) + (A - 1) * c + sa, -2 * ((A - 1) + (A + 1) * c), (A + 1) + (A - 1) * c - sa};
  }
  return k;
}

double biquad_gain_db(int rate_hz, Biquad type, double f0, double f_hz, double gain_db, double q) {
  if (rate_hz <= 0 || f0 <= 0 || f0 >= rate_hz / 2.0) return 0;  // as biquad(): no change
  const BiquadCoefs k = rbj(rate_hz, type, f0, gain_db, q);
  const std::complex<double> z1 = std::polar(1.0, -2 * kPi * f_hz / rate_hz), z2 = z1 * z1;
  const std::complex<double> h = (k.b0 + k.b1 * z1 + k.b2 * z2) / (k.a0 + k.a1 * z1 + k.a2 * z2);
  return 20 * std::log10(std::max(std::abs(h), 1e-12));
}

void biquad(std::vector<float>& x, int rate_hz, Biquad type, double f0, double gain_db, double q) {
  if (rate_hz <= 0 || f0 <= 0 || f0 >= rate_hz / 2.0) return;  // nothing of that band to shape
  const BiquadCoefs k = rbj(rate_hz, type, f0, gain_db, q);
  double x1 = 0, x2 = 0, y1 = 0, y2 = 0;
  for (auto& v : x) {
    const double y = (k.b0 * v + k.b1 * x1 + k.b2 * x2 - k.a1 * y1 - k.a2 * y2) / k.a0;
    x2 = x1, x1 = v, y2 = y1, y1 = y;
    v = float(y);
  }
}

std::string Shift::name() const {
  char b[96];
  if (family == "stethoscope") std::snprintf(b, sizeof b, "stethoscope %s", kind.c_str());
  else if (family == "rate") std::snprintf(b, sizeof b, "rate %g kHz", strength / 1000);
  else if (family == "crop") std::snprintf(b, sizeof b, "crop %g s", strength);
  else if (family == "noise") std::snprintf(b, sizeof b, "noise %s %g dB", kind.c_str(), strength);
  else if (family == "gain") std::snprintf(b, sizeof b, "gain %+g dB", strength);
  else std::snprintf(b, sizeof b, "%s", family.c_str());
  return b;
}

std::vector<Shift> bench_shifts() {
  std::vector<Shift> out{{"stethoscope", "extended", 1}, {"stethoscope", "bell", 2}, {"stethoscope", "diaphragm", 3}};
  for (double r : {2000.0, 8000.0, 16000.0, 44100.0}) out.push_back({"rate", "", r});
  for (double s : {1.0, 2.0, 3.0, 4.0, 8.0}) out.push_back({"crop", "", s});
  for (const char* k : {"white", "pink", "breathing", "friction"})
    for (double snr : {20.0, 10.0, 5.0}) out.push_back({"noise", k, snr});
  for (double g : {-30.0, -20.0, -10.0, 6.0}) out.push_back({"gain", "", g});
  out.push_back({"combined", "", 0});
  return out;
}

std::vector<Audio> apply_shift(const Audio& a, const Shift& s, uint64_t seed) {
  if (s.family == "crop") return crops(a, s.strength);
  if (s.family == "combined") {
    Audio x = one(a, {"stethoscope", "bell", 2}, seed);
    x = one(x, {"rate", "", 8000}, seed);
    x = one(x, {"noise", "pink", 10}, seed);
    x = one(x, {"gain", "", -20}, seed);
    return crops(x, 4.0);
  }
  return {one(a, s, seed)};
}

}  // namespace murmur::audio
