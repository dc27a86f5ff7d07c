#include "segment/segment.h"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "segment/emission.h"
#include "segment/segment_internal.h"
#include "util/check.h"
#include "util/error.h"

namespace murmur::segment {

const char* state_name(State s) {
  static const char* names[kNumStates] = {"S1", "systole", "S2", "diastole"};
  return names[static_cast<int>(s)];
}

SegmentConfig SegmentConfig::synthetic() {
  SegmentConfig c;
  c.emissions = "synthetic";
  c.s1_mean_s = 0.122, c.s1_sd_s = 0.022;
  c.s2_mean_s = 0.092, c.s2_sd_s = 0.022;
  return c;
}

SegmentConfig SegmentConfig::named(const std::string& emissions) {
  if (emissions == "synthetic") return synthetic();
  if (emissions != SegmentConfig{}.emissions)
    throw Error("segmenter '" + emissions + "' unknown: the segmenters are physionet2016 (the default) and synthetic");
  return {};
}

void SegmentConfig::validate(const std::string& section) const {
  auto key = [&](const char* field) { return util::setting_key(section, field); };
  util::check_setting(emissions == "physionet2016" || emissions == "synthetic", key("emissions"),
                      "must be physionet2016 or synthetic", emissions);
  util::check_setting(min_duration_s >= 1, key("min_duration_s"), "must be >= 1 (the heart rate needs cycles)",
                      min_duration_s);
  util::check_setting(min_rate_hz >= 1000, key("min_rate_hz"), "must be >= 1000 (the band reaches 400 Hz)",
                      min_rate_hz);
  util::check_setting(min_heart_rate_bpm >= 20, key("min_heart_rate_bpm"), "must be >= 20", min_heart_rate_bpm);
  util::check_setting(max_heart_rate_bpm > min_heart_rate_bpm && max_heart_rate_bpm <= 300,
                      key("max_heart_rate_bpm"), "must be above min_heart_rate_bpm and <= 300", max_heart_rate_bpm);
  for (auto [v, name] : {std::pair{s1_mean_s, "s1_mean_s"}, {s1_sd_s, "s1_sd_s"}, {s2_mean_s, "s2_mean_s"},
                         {s2_sd_s, "s2_sd_s"}, {systole_sd_s, "systole_sd_s"}})
    util::check_setting(v > 0 && v < 1, key(name), "must be in (0, 1) s", v);
  util::check_setting(diastole_sd_fraction >= 0 && diastole_sd_fraction < 1, key("diastole_sd_fraction"),
                      "must be in [0, 1)", diastole_sd_fraction);
  util::check_setting(diastole_sd_floor_s > 0 && diastole_sd_floor_s < 1, key("diastole_sd_floor_s"),
                      "must be in (0, 1) s", diastole_sd_floor_s);
  util::check_setting(max_candidates >= 1 && max_candidates <= 10, key("max_candidates"), "must be in 1..10",
                      max_candidates);
  util::check_setting(max_systole_candidates >= 1 && max_systole_candidates <= 10, key("max_systole_candidates"),
                      "must be in 1..10", max_systole_candidates);
  util::check_setting(min_relative_autocorrelation > 0 && min_relative_autocorrelation <= 1,
                      key("min_relative_autocorrelation"), "must be in (0, 1]", min_relative_autocorrelation);
  util::check_setting(min_systolic_interval_s > 0, key("min_systolic_interval_s"), "must be > 0",
                      min_systolic_interval_s);
  util::check_setting(max_systolic_interval_s > min_systolic_interval_s && max_systolic_interval_s < 1.5,
                      key("max_systolic_interval_s"), "must be above min_systolic_interval_s and < 1.5 s",
                      max_systolic_interval_s);
}

void to_json(nlohmann::json& j, const SegmentConfig& c) {
  j = {{"min_duration_s", c.min_duration_s}, {"min_rate_hz", c.min_rate_hz},
       {"min_heart_rate_bpm", c.min_heart_rate_bpm}, {"max_heart_rate_bpm", c.max_heart_rate_bpm},
       {"emissions", c.emissions}, {"s1_mean_s", c.s1_mean_s}, {"s1_sd_s", c.s1_sd_s}, {"s2_mean_s", c.s2_mean_s}, {"s2_sd_s", c.s2_sd_s},
       {"systole_sd_s", c.systole_sd_s}, {"diastole_sd_fraction", c.diastole_sd_fraction},
       {"diastole_sd_floor_s", c.diastole_sd_floor_s}, {"max_candidates", c.max_candidates},
       {"min_relative_autocorrelation", c.min_relative_autocorrelation},
       {"max_systole_candidates", c.max_systole_candidates},
       {"min_systolic_interval_s", c.min_systolic_interval_s}, {"max_systolic_interval_s", c.max_systolic_interval_s}};
}

void from_json(const nlohmann::json& j, SegmentConfig& c) {
  SegmentConfig d;
  c.min_duration_s = j.value("min_duration_s", d.min_duration_s);
  c.min_rate_hz = j.value("min_rate_hz", d.min_rate_hz);
  c.min_heart_rate_bpm = j.value("min_heart_rate_bpm", d.min_heart_rate_bpm);
  c.max_heart_rate_bpm = j.value("max_heart_rate_bpm", d.max_heart_rate_bpm);
  c.emissions = j.value("emissions", d.emissions);
  c.s1_mean_s = j.value("s1_mean_s", d.s1_mean_s);
  c.s1_sd_s = j.value("s1_sd_s", d.s1_sd_s);
  c.s2_mean_s = j.value("s2_mean_s", d.s2_mean_s);
  c.s2_sd_s = j.value("s2_sd_s", d.s2_sd_s);
  c.systole_sd_s = j.value("systole_sd_s", d.systole_sd_s);
  c.diastole_sd_fraction = j.value("diastole_sd_fraction", d.diastole_sd_fraction);
  c.diastole_sd_floor_s = j.value("diastole_sd_floor_s", d.diastole_sd_floor_s);
  c.max_candidates = j.value("max_candidates", d.max_candidates);
  c.max_systole_candidates = j.value("max_systole_candidates", d.max_systole_candidates);
  c.min_relative_autocorrelation = j.value("min_relative_autocorrelation", d.min_relative_autocorrelation);
  c.min_systolic_interval_s = j.value("min_systolic_interval_s", d.min_systolic_interval_s);
  c.max_systolic_interval_s = j.value("max_systolic_interval_s", d.max_systolic_interval_s);
}

namespace {

void check_input(const std::vector<float>& pcm, int rate_hz, const SegmentConfig& cfg, const std::string& name) {
  if (rate_hz < cfg.min_rate_hz)
    throw Error(name + ": sample rate " + std::to_string(rate_hz) + " Hz is below the segmenter's minimum of " +
                std::to_string(cfg.min_rate_hz) + " Hz");
  double duration_s = double(pcm.size()) / rate_hz;
  if (duration_s < cfg.min_duration_s) {
    char text[160];
    std::snprintf(text, sizeof text, ": %.4g s is shorter than the %.4g s the segmenter needs", duration_s,
                  cfg.min_duration_s);
    throw Error(name + text);
  }
  for (float v : pcm)
    if (!std::isfinite(v)) throw Error(name + ": NaN or infinite samples: nothing to segment");
}

std::vector<Segment> runs(const std::vector<State>& states) {
  std::vector<Segment> out;
  const double dt = 1 / kFrameRateHz;
  for (size_t i = 0; i < states.size();) {
    size_t j = i;
    while (j < states.size() && states[j] == states[i]) ++j;
    out.push_back({states[i], i * dt, j * dt, i == 0 || j == states.size()});
    i = j;
  }
  return out;
}

std::vector<Cycle> complete_cycles(const std::vector<Segment>& seg) {
  std::vector<Cycle> out;
  for (size_t i = 0; i + 4 < seg.size(); ++i) {
    if (seg[i].state != State::kS1 || seg[i].censored) continue;
    const Segment &s1 = seg[i], &sys = seg[i + 1], &s2 = seg[i + 2], &dia = seg[i + 3], &next = seg[i + 4];
    Cycle c{s1.start_s, s1.end_s, s2.start_s, s2.end_s, next.start_s, sys.end_s - sys.start_s,
            dia.end_s - dia.start_s};
    out.push_back(c);
  }
  return out;
}

}  // namespace

Segmentation segment(const std::vector<float>& pcm, int rate_hz, const SegmentConfig& cfg, const std::string& name,
                     const EmissionModel* emissions) {
  cfg.validate();
  check_input(pcm, rate_hz, cfg, name);
  Features f = envelope_features(pcm, rate_hz, name);
  const EmissionModel& model = emissions ? *emissions : emissions_named(cfg.emissions);
  std::vector<std::array<double, kNumStates>> log_e(f.n_frames());
  for (int t = 0; t < f.n_frames(); ++t)
    for (int j = 0; j < kNumStates; ++j) log_e[t][j] = model.log_emission(f.values[t], State(j));

  Segmentation out;
  out.duration_s = double(pcm.size()) / rate_hz;
  detail::Path best;
  best.log_likelihood = -std::numeric_limits<double>::infinity();
  for (const auto& h : detail::rate_hypotheses(f.homomorphic, cfg)) {
    detail::Path p = detail::decode(log_e, detail::durations_for(h, cfg));
    if (p.log_likelihood > best.log_likelihood) {
      best = std::move(p);
      out.heart_rate_bpm = h.heart_rate_bpm;
      out.systolic_interval_s = h.systolic_interval_s;
    }
  }
  if (!std::isfinite(best.log_likelihood)) throw Error(name + ": no heart-cycle sequence fits the recording");
  out.states = std::move(best.states);
  out.log_likelihood_per_frame = best.log_likelihood / std::max(1, f.n_frames());
  out.segments = runs(out.states);
  out.cycles = complete_cycles(out.segments);
  return out;
}

std::vector<State> states_at(const Segmentation& s, double hop_s, int n_frames) {
  if (!(hop_s > 0)) throw Error("segment::states_at: hop_s must be > 0 (got " + std::to_string(hop_s) + ")");
  std::vector<State> out(std::max(0, n_frames), State::kDiastole);
  if (s.states.empty()) return out;
  for (int k = 0; k < n_frames; ++k) {
    long i = static_cast<long>(std::floor(k * hop_s * kFrameRateHz + 1e-9));  // k * 0.02 * 50 is k
    out[k] = s.states[std::clamp<long>(i, 0, static_cast<long>(s.states.size()) - 1)];
  }
  return out;
}

nlohmann::json to_json(const Segmentation& s, bool with_states) {
  auto r3 = [](double v) { return std::round(v * 1000) / 1000; };
  nlohmann::json cycles = nlohmann::json::array();
  for (const auto& c : s.cycles)
    cycles.push_back({{"s1_onset_s", r3(c.s1_onset_s)}, {"s1_offset_s", r3(c.s1_offset_s)},
                      {"s2_onset_s", r3(c.s2_onset_s)}, {"s2_offset_s", r3(c.s2_offset_s)},
                      {"next_s1_onset_s", r3(c.next_s1_onset_s)}, {"systole_s", r3(c.systole_s)},
                      {"diastole_s", r3(c.diastole_s)}});
  nlohmann::json j = {{"heart_rate_bpm", std::round(s.heart_rate_bpm * 10) / 10},
                      {"systolic_interval_s", r3(s.systolic_interval_s)},
                      {"duration_s", r3(s.duration_s)},
                      {"n_cycles", s.cycles.size()},
                      {"log_likelihood_per_frame", r3(s.log_likelihood_per_frame)},
                      {"cycles", cycles}};
  if (with_states) {
    j["frame_rate_hz"] = kFrameRateHz;
    std::vector<int> st;
    for (State v : s.states) st.push_back(static_cast<int>(v));
    j["states"] = st;
  }
  return j;
}

}  // namespace murmur::segment
