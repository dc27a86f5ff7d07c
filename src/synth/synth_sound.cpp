// The sound of one recording: heart sounds, murmurs and noise (the model is in docs/synth.md).
#include <algorithm>
#include <cmath>

#include "data/index.h"
#include "features/biquad.h"
#include "synth/synth.h"
#include "synth/synth_internal.h"
#include "util/error.h"

namespace murmur::synth {

using namespace detail;
using features::Biquad;

int detail::site_index(const std::string& site) {
  auto it = std::find(data::kSites.begin(), data::kSites.end(), site);
  if (it == data::kSites.end()) throw Error("synth: site '" + site + "' is not one of Aor, Mit, Pul, Tri");
  return static_cast<int>(it - data::kSites.begin());
}

bool detail::is_sitting(const std::string& position) {
  if (position != "sit" && position != "sup") throw Error("synth: position '" + position + "' is not sit or sup");
  return position == "sit";
}

namespace {

// Intensity by auscultation site, columns in data::kSites order (Aor, Mit, Pul, Tri).
// S1 is loudest at the apex and lower left sternal border, S2 at the base (docs/synth.md).
constexpr double kS1Gain[4] = {0.55, 1.0, 0.6, 0.9};
constexpr double kA2Gain[4] = {1.0, 0.55, 0.85, 0.5};
constexpr double kP2Gain[4] = {0.35, 0.15, 0.8, 0.3};
constexpr double kT1Gain[4] = {0.35, 0.35, 0.4, 0.8};  // tricuspid component of S1, relative

// Murmur RMS at its loudest site relative to S1's peak at the apex, for murmur_gain 1. Chosen by
// eye against BMD-HS so murmurs range from plain (gain 2) to buried in noise (gain 0.35).
constexpr double kMurmurAmplitude = 0.12;

// Murmur radiation by site (Aor, Mit, Pul, Tri), per class index (AR, AS, MR, MS, N).
constexpr double kMurmurSiteGain[5][4] = {
    {1.0, 0.35, 0.9, 0.6},    // AR: right 2nd ICS and left sternal border (Erb's point)
    {1.0, 0.5, 0.75, 0.35},   // AS: right 2nd ICS, radiating to the carotids; apex (Gallavardin)
    {0.3, 1.0, 0.35, 0.55},   // MR: apex, radiating to the axilla
    {0.2, 1.0, 0.25, 0.45},   // MS: apex, very localised
    {0, 0, 0, 0},             // N
};

// White noise through two cascaded band-passes, scaled to unit RMS over the recording.
std::vector<double> band_noise(Rng& rng, size_t n, double lo_hz, double hi_hz, double fs_hz) {
  hi_hz = std::min(hi_hz, 0.45 * fs_hz);
  double fc = std::sqrt(lo_hz * hi_hz), q = fc / (hi_hz - lo_hz);
  Biquad f1 = Biquad::band_pass(fc, q, fs_hz), f2 = Biquad::band_pass(fc, q, fs_hz);
  std::vector<double> y(n);
  double energy = 0;
  for (size_t i = 0; i < n; ++i) {
    y[i] = f2(f1(rng.white()));
    energy += y[i] * y[i];
  }
  double scale = energy > 0 ? 1.0 / std::sqrt(energy / n) : 0;
  for (auto& v : y) v *= scale;
  return y;
}

// sin(2 pi f t + phase) sample by sample by rotating a phasor: a sin() call per sample and
// component was most of the synthesis time. Drift over 10^6 steps stays below 1e-9.
class Oscillator {
 public:
  Oscillator(double f_hz, double phase, double fs_hz)
      : c_(std::cos(phase)), s_(std::sin(phase)), dc_(std::cos(2 * kPi * f_hz / fs_hz)),
        ds_(std::sin(2 * kPi * f_hz / fs_hz)) {}
  double next() {
    double v = s_;
    double c = c_ * dc_ - s_ * ds_;
    s_ = s_ * dc_ + c_ * ds_;
    c_ = c;
    return v;
  }

 private:
  double c_, s_, dc_, ds_;
};

// Damped sinusoid: valve-closure transient. Envelope (t/tau) e^(1 - t/tau) peaks at tau.
void add_transient(std::vector<double>& x, double fs_hz, double onset_s, double amplitude, double f_hz,
                   double tau_s, double phase) {
  long first = std::max(0L, static_cast<long>(std::ceil(onset_s * fs_hz)));
  long last = std::min(static_cast<long>(x.size()) - 1, static_cast<long>((onset_s + 7 * tau_s) * fs_hz));
  for (long i = first; i <= last; ++i) {
    double t = i / fs_hz - onset_s;
    double env = (t / tau_s) * std::exp(1 - t / tau_s);
    // A slight downward glide, as the valve leaflets' vibration decays.
    x[i] += amplitude * env * std::sin(2 * kPi * f_hz * t * (1 - 0.15 * t / (7 * tau_s)) + phase);
  }
}

// Adds shape(u) * amplitude * noise over [t0, t1), u in [0, 1) across the interval.
template <class Shape>
void add_shaped(std::vector<double>& x, const std::vector<double>& noise, double fs_hz, double t0_s, double t1_s,
                double amplitude, Shape shape) {
  if (t1_s <= t0_s) return;
  long first = std::max(0L, static_cast<long>(std::ceil(t0_s * fs_hz)));
  long last = std::min(static_cast<long>(x.size()), static_cast<long>(std::ceil(t1_s * fs_hz)));
  for (long i = first; i < last; ++i) {
    double u = (i / fs_hz - t0_s) / (t1_s - t0_s);
    x[i] += amplitude * shape(u) * noise[i];
  }
}

// Short linear ramps at both ends so a plateau does not click.
double ramp(double u, double width) {
  return std::min({1.0, u / width, (1 - u) / width});
}

}  // namespace

std::vector<float> synth_recording(int cls, const std::string& site, const std::string& position,
                                   const PatientParams& patient, uint64_t seed, const SynthConfig& cfg) {
  if (cls < 0 || cls >= data::kNumClasses)
    throw Error("synth: class index " + std::to_string(cls) + " is not in 0..4 (AR, AS, MR, MS, N)");
  cfg.validate();
  const int s = site_index(site);
  const bool sitting = is_sitting(position);
  const double fs = cfg.sample_rate_hz;
  const size_t n = static_cast<size_t>(std::llround(cfg.duration_s * fs));
  const std::string name = data::kClassNames[cls];
  const auto cycles = cardiac_cycles(patient, position, seed, cfg.duration_s);
  std::vector<double> x(n, 0.0);

  // Heart sounds. Disease changes them: loud S1 in MS, soft S1 in MR, soft A2 in AS and AR.
  double s1_gain = name == "MS" ? 1.6 : name == "MR" ? 0.75 : 1.0;
  double a2_gain = name == "AS" ? 0.6 : name == "AR" ? 0.8 : 1.0;
  double position_gain = sitting ? 0.95 : 1.0;  // supine: heart closer to the chest wall
  double split_scale = sitting ? 0.8 : 1.0;     // physiological splitting is wider supine
  Rng beat_rng(mix(seed, kBeats, 1));
  for (const auto& c : cycles) {
    double g = patient.chest_gain * position_gain * beat_rng.lognormal(0.08);
    double t1_delay = beat_rng.uniform(0.015, 0.03);
    add_transient(x, fs, c.s1_s, g * s1_gain * kS1Gain[s], patient.s1_hz * beat_rng.uniform(0.95, 1.05), 0.016,
                  beat_rng.uniform(0, 2 * kPi));
    add_transient(x, fs, c.s1_s + t1_delay, g * s1_gain * kS1Gain[s] * kT1Gain[s], patient.s1_hz * 0.9, 0.016,
                  beat_rng.uniform(0, 2 * kPi));
    add_transient(x, fs, c.s2_s, g * a2_gain * kA2Gain[s], patient.s2_hz * beat_rng.uniform(0.95, 1.05), 0.011,
                  beat_rng.uniform(0, 2 * kPi));
    add_transient(x, fs, c.s2_s + patient.s2_split_s * split_scale * beat_rng.uniform(0.7, 1.3),
                  g * kP2Gain[s], patient.s2_hz * 1.1, 0.01, beat_rng.uniform(0, 2 * kPi));
  }

  // Murmur: band-limited noise under a per-cycle envelope with the class's timing and shape.
  if (name != "N") {
    Rng rng(mix(seed, kMurmur));
    double pitch = patient.murmur_pitch;
    double amp = kMurmurAmplitude * cfg.murmur_gain * patient.murmur_gain * patient.chest_gain * kMurmurSiteGain[cls][s];
    if (name == "AR") amp *= sitting ? 1.2 : 1.0;   // louder sitting, leaning forward
    if (name == "MS") amp *= sitting ? 1.0 : 1.2;   // louder lying (toward left lateral decubitus)
    if (name == "AS") {
      // Mid-systolic ejection murmur: starts after S1, diamond-shaped, ends before A2.
      auto noise = band_noise(rng, n, 100 * pitch, 350 * pitch, fs);
      double peak = rng.uniform(0.35, 0.55);
      for (const auto& c : cycles)
        add_shaped(x, noise, fs, c.s1_s + 0.06, c.s2_s - 0.02, amp, [peak](double u) {
          return u < peak ? std::pow(u / peak, 1.5) : std::pow((1 - u) / (1 - peak), 1.5);
        });
    } else if (name == "MR") {
      // Holosystolic plateau: from S1 through A2, blowing, high-pitched.
      auto noise = band_noise(rng, n, 150 * pitch, 400 * pitch, fs);
      for (const auto& c : cycles)
        add_shaped(x, noise, fs, c.s1_s + 0.01, c.s2_s + 0.02, amp * 0.8, [](double u) { return ramp(u, 0.06); });
    } else if (name == "AR") {
      // Early-diastolic decrescendo right after A2, high-pitched blowing, over ~2/3 of diastole.
      auto noise = band_noise(rng, n, 200 * pitch, 400 * pitch, fs);
      double fraction = rng.uniform(0.55, 0.8);
      for (const auto& c : cycles)
        add_shaped(x, noise, fs, c.s2_s + 0.01, c.s2_s + 0.01 + fraction * (c.next_s1_s - c.s2_s), amp,
                   [](double u) { return std::min(1.0, u / 0.04) * std::pow(1 - u, 1.3); });
    } else if (name == "MS") {
      // Opening snap, then a low-pitched mid-diastolic rumble, then presystolic accentuation.
      auto noise = band_noise(rng, n, 30 * pitch, 80 * pitch, fs);
      double os_delay = rng.uniform(0.06, 0.1);
      Rng snap_rng(mix(seed, kMurmur, 1));
      for (const auto& c : cycles) {
        double os = c.s2_s + os_delay;
        add_transient(x, fs, os, 0.5 * amp / kMurmurAmplitude, 110 * pitch, 0.006, snap_rng.uniform(0, 2 * kPi));
        double dia = c.next_s1_s - os;
        double mid_end = os + 0.03 + 0.55 * dia;
        add_shaped(x, noise, fs, os + 0.03, mid_end, amp * 1.3,
                   [](double u) { return std::min(1.0, u / 0.1) * (1 - 0.6 * u); });
        add_shaped(x, noise, fs, c.next_s1_s - 0.15, c.next_s1_s + 0.01, amp * 1.3,
                   [](double u) { return std::pow(u, 1.2); });
      }
    }
  }

  // Recording noise: hiss, low-frequency contact/muscle noise (it overlaps S1, S2 and the MS
  // rumble), breath sounds with the respiratory cycle, baseline drift, the odd
  // stethoscope-movement bump and, sometimes, mains hum.
  Rng rng(mix(seed, kNoise));
  double level = cfg.noise_gain * patient.noise_level * rng.lognormal(0.25);
  double hiss = 0.01 * level, body = 0.05 * level, breath = 0.03 * level;
  auto body_noise = band_noise(rng, n, 15, 70, fs);
  auto breath_noise = band_noise(rng, n, 150, 600, fs);
  double resp_hz = rng.uniform(0.2, 0.3), resp_phase = rng.uniform(0, 2 * kPi);
  Oscillator respiration(resp_hz, resp_phase, fs);
  std::vector<Oscillator> drift;
  double drift_amp[3];
  for (int k = 0; k < 3; ++k) {
    double f_hz = rng.uniform(0.1, 1.5), phase = rng.uniform(0, 2 * kPi);
    drift.emplace_back(f_hz, phase, fs);
    drift_amp[k] = 0.03 * level * rng.uniform(0.3, 1.0);
  }
  double hum = rng.uniform() < 0.3 ? 0.01 * level * rng.uniform(0.2, 1.0) : 0;
  Oscillator mains(50, 0, fs);
  for (size_t i = 0; i < n; ++i) {
    double inspiration = std::max(0.0, respiration.next());
    double v = hiss * rng.white() + body * body_noise[i] + breath * inspiration * breath_noise[i];
    for (int k = 0; k < 3; ++k) v += drift_amp[k] * drift[k].next();
    if (hum > 0) v += hum * mains.next();
    x[i] += v;
  }
  int n_bumps = static_cast<int>(cfg.duration_s * 0.1 * rng.uniform(0, 2));
  for (int b = 0; b < n_bumps; ++b) {
    double t0 = rng.uniform(0, cfg.duration_s), len = rng.uniform(0.02, 0.08), a = 0.3 * level * rng.uniform(0.3, 1);
    long first = static_cast<long>(t0 * fs), last = std::min(static_cast<long>(n), static_cast<long>((t0 + len) * fs));
    for (long i = first; i < last; ++i) x[i] += a * std::sin(kPi * (i - first) / (last - first)) * rng.white();
  }

  // The stethoscope's chest piece and the recorder roll off the highs (BMD-HS has little energy
  // above ~500 Hz); then peak-normalise to a random gain, as a recorder's input level would.
  Biquad chest_piece = Biquad::low_pass(std::min(550.0, 0.45 * fs), 0.707, fs);
  double peak = 0;
  for (double& v : x) {
    v = chest_piece(v);
    peak = std::max(peak, std::abs(v));
  }
  double target = rng.uniform(0.3, 0.8);
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(peak > 0 ? x[i] * target / peak : 0.0);
  return out;
}

}  // namespace murmur::synth
