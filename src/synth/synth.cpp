#include "synth/synth.h"

#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "data/index.h"
#include "util/error.h"
#include "util/fs.h"

namespace murmur::synth {

namespace {

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

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// Independent streams from one seed: mix(seed, a, b, ...) never depends on call order.
uint64_t mix(uint64_t seed, uint64_t a, uint64_t b = 0, uint64_t c = 0) {
  return splitmix64(splitmix64(splitmix64(splitmix64(seed) ^ a) ^ (b * 0x632BE59BD9B4E019ULL)) ^
                    (c * 0x85EBCA77C2B2AE63ULL));
}

enum Stream : uint64_t { kPatient = 1, kBeats, kNoise, kMurmur, kMetadata, kRecording };

int site_index(const std::string& site) {
  auto it = std::find(data::kSites.begin(), data::kSites.end(), site);
  if (it == data::kSites.end()) throw Error("synth: site '" + site + "' is not one of Aor, Mit, Pul, Tri");
  return static_cast<int>(it - data::kSites.begin());
}

bool is_sitting(const std::string& position) {
  if (position != "sit" && position != "sup") throw Error("synth: position '" + position + "' is not sit or sup");
  return position == "sit";
}

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

// RBJ audio-EQ cookbook biquads (band-pass with 0 dB peak gain, low-pass), direct form I in double.
class Biquad {
 public:
  static Biquad band_pass(double fc_hz, double q, double fs_hz) {
    double w0 = 2 * kPi * fc_hz / fs_hz, alpha = std::sin(w0) / (2 * q);
    return Biquad(alpha, 0, -alpha, 1 + alpha, -2 * std::cos(w0), 1 - alpha);
  }
  static Biquad low_pass(double fc_hz, double q, double fs_hz) {
    double w0 = 2 * kPi * fc_hz / fs_hz, alpha = std::sin(w0) / (2 * q), cw = std::cos(w0);
    return Biquad((1 - cw) / 2, 1 - cw, (1 - cw) / 2, 1 + alpha, -2 * cw, 1 - alpha);
  }
  double operator()(double x) {
    double y = b0_ * x + b1_ * x1_ + b2_ * x2_ - a1_ * y1_ - a2_ * y2_;
    x2_ = x1_;
    x1_ = x;
    y2_ = y1_;
    y1_ = y;
    return y;
  }

 private:
  Biquad(double b0, double b1, double b2, double a0, double a1, double a2)
      : b0_(b0 / a0), b1_(b1 / a0), b2_(b2 / a0), a1_(a1 / a0), a2_(a2 / a0) {}
  double b0_, b1_, b2_, a1_, a2_, x1_ = 0, x2_ = 0, y1_ = 0, y2_ = 0;
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

void SynthConfig::validate() const {
  auto bad = [](const std::string& field, const std::string& value, const std::string& problem) {
    throw Error("SynthConfig: " + field + " " + value + ": " + problem);
  };
  if (n_patients < 1) bad("n_patients", std::to_string(n_patients), "must be at least 1");
  if (sample_rate_hz < 1000)
    bad("sample_rate_hz", std::to_string(sample_rate_hz), "must be at least 1000 (murmurs reach 400 Hz)");
  if (!(duration_s >= 2 && duration_s <= 600)) bad("duration_s", std::to_string(duration_s), "must be in [2, 600]");
  if (!(murmur_gain >= 0)) bad("murmur_gain", std::to_string(murmur_gain), "must be >= 0");
  if (!(noise_gain >= 0)) bad("noise_gain", std::to_string(noise_gain), "must be >= 0");
  if (first_patient_number < 0 || first_patient_number + n_patients > 1000)
    bad("first_patient_number", std::to_string(first_patient_number), "PIDs must stay within 000-999");
}

void to_json(nlohmann::json& j, const SynthConfig& c) {
  j = {{"n_patients", c.n_patients}, {"seed", c.seed}, {"sample_rate_hz", c.sample_rate_hz},
       {"duration_s", c.duration_s}, {"murmur_gain", c.murmur_gain}, {"noise_gain", c.noise_gain},
       {"first_patient_number", c.first_patient_number}};
}

void from_json(const nlohmann::json& j, SynthConfig& c) {
  SynthConfig d;
  c.n_patients = j.value("n_patients", d.n_patients);
  c.seed = j.value("seed", d.seed);
  c.sample_rate_hz = j.value("sample_rate_hz", d.sample_rate_hz);
  c.duration_s = j.value("duration_s", d.duration_s);
  c.murmur_gain = j.value("murmur_gain", d.murmur_gain);
  c.noise_gain = j.value("noise_gain", d.noise_gain);
  c.first_patient_number = j.value("first_patient_number", d.first_patient_number);
}

PatientParams draw_patient(uint64_t seed, int patient_number) {
  Rng rng(mix(seed, kPatient, static_cast<uint64_t>(patient_number)));
  PatientParams p;
  p.heart_rate_bpm = std::clamp(72 + 11 * rng.normal(), 55.0, 100.0);
  p.systole_fraction = rng.uniform(0.29, 0.36);
  p.rr_jitter = rng.uniform(0.015, 0.045);
  p.s1_hz = rng.uniform(40, 65);
  p.s2_hz = rng.uniform(60, 100);
  p.s2_split_s = rng.uniform(0.015, 0.045);
  // Severity spreads murmurs from faint (grade 2/6) to loud (4/6): some are hard to hear.
  p.murmur_gain = std::clamp(rng.lognormal(0.45), 0.35, 2.2);
  p.murmur_pitch = rng.uniform(0.85, 1.15);
  p.noise_level = std::clamp(rng.lognormal(0.35), 0.5, 2.0);
  p.chest_gain = rng.uniform(0.7, 1.3);
  return p;
}

std::vector<CardiacCycle> cardiac_cycles(const PatientParams& patient, const std::string& position, uint64_t seed,
                                         double duration_s) {
  Rng rng(mix(seed, kBeats));
  // Upright posture raises the rate a little (less venous return, baroreflex).
  double period_s = 60.0 / (patient.heart_rate_bpm * (is_sitting(position) ? 1.04 : 1.0));
  double resp_hz = rng.uniform(0.2, 0.3), resp_phase = rng.uniform(0, 2 * kPi);
  double systole_s = patient.systole_fraction * period_s;
  std::vector<CardiacCycle> cycles;
  double t = -rng.uniform(0, period_s);  // the recording starts anywhere in a cycle
  while (t < duration_s) {
    // Respiratory sinus arrhythmia (+-3 %) plus beat-to-beat jitter.
    double rr = period_s * (1 + 0.03 * std::sin(2 * kPi * resp_hz * t + resp_phase) +
                            patient.rr_jitter * std::clamp(rng.normal(), -3.0, 3.0));
    // Systole follows the RR interval only weakly; diastole absorbs the rest.
    double sys = systole_s * (1 + 0.25 * (rr / period_s - 1));
    cycles.push_back({t, t + sys, t + rr});
    t += rr;
  }
  return cycles;
}

int patient_class(int i) {
  static const int order[5] = {data::class_index("N"), data::class_index("AS"), data::class_index("AR"),
                               data::class_index("MR"), data::class_index("MS")};
  return order[i % 5];
}

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

namespace {

void write_wav16(const std::string& path, const std::vector<float>& samples, int sample_rate_hz) {
  std::vector<short> pcm(samples.size());
  for (size_t i = 0; i < samples.size(); ++i)
    pcm[i] = static_cast<short>(std::lround(std::clamp(samples[i], -1.0f, 1.0f) * 32767.0f));
  util::write_atomic(path, [&](const std::string& tmp) {
    SF_INFO info{};
    info.samplerate = sample_rate_hz;
    info.channels = 1;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    SNDFILE* sf = sf_open(tmp.c_str(), SFM_WRITE, &info);
    if (!sf) throw Error(path + ": cannot create (" + sf_strerror(nullptr) + ")");
    sf_count_t written = sf_write_short(sf, pcm.data(), static_cast<sf_count_t>(pcm.size()));
    int rc = sf_close(sf);
    if (written != static_cast<sf_count_t>(pcm.size()) || rc != 0)
      throw Error(path + ": short write (disk full?)");
  });
}

}  // namespace

void write_synthetic_dataset(const std::string& dir, const SynthConfig& cfg) {
  cfg.validate();
  namespace fs = std::filesystem;
  // Row order of each patient's recordings as in BMD-HS's train.csv.
  const std::vector<std::pair<std::string, std::string>> order{
      {"sup", "Mit"}, {"sup", "Tri"}, {"sup", "Pul"}, {"sup", "Aor"},
      {"sit", "Mit"}, {"sit", "Tri"}, {"sit", "Pul"}, {"sit", "Aor"}};
  std::string csv = "patient_id,AS,AR,MR,MS,N,recording_1,recording_2,recording_3,recording_4,recording_5,"
                    "recording_6,recording_7,recording_8\n";
  std::string meta = "patient_id,Age,Gender,Smoker,Lives\n";
  for (int i = 0; i < cfg.n_patients; ++i) {
    int number = cfg.first_patient_number + i;
    int cls = patient_class(i);
    char pid[8];
    std::snprintf(pid, sizeof pid, "%03d", number);
    const std::string& name = data::kClassNames[cls];
    csv += std::string("patient_") + pid;
    for (const char* label : {"AS", "AR", "MR", "MS", "N"}) csv += name == label ? ",1" : ",0";
    PatientParams params = draw_patient(cfg.seed, number);
    for (const auto& [position, site] : order) {
      std::string stem = name + "_" + pid + "_" + position + "_" + site;
      csv += "," + stem;
      uint64_t rec_seed = mix(cfg.seed, kRecording, static_cast<uint64_t>(number),
                              static_cast<uint64_t>(site_index(site) * 2 + (position == "sit")));
      auto x = synth_recording(cls, site, position, params, rec_seed, cfg);
      write_wav16((fs::path(dir) / "train" / (stem + ".wav")).string(), x, cfg.sample_rate_hz);
    }
    csv += "\n";
    Rng rng(mix(cfg.seed, kMetadata, static_cast<uint64_t>(number)));
    int age = static_cast<int>(18 + 60 * rng.uniform());
    meta += std::string("patient_") + pid + "," + std::to_string(age) + "," + (rng.uniform() < 0.5 ? "M" : "F") +
            "," + (rng.uniform() < 0.3 ? "1" : "0") + "," + (rng.uniform() < 0.5 ? "U" : "R") + "\n";
  }
  util::write_file_atomic((fs::path(dir) / "train.csv").string(), csv);
  util::write_file_atomic((fs::path(dir) / "additional_metadata.csv").string(), meta);
  nlohmann::json j = cfg;
  util::write_file_atomic((fs::path(dir) / "synth_config.json").string(), j.dump(1) + "\n");
}

}  // namespace murmur::synth
