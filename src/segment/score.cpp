// S1/S2 detection scores against a hand annotation (score.h).
#include "segment/score.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "util/csv.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/number_text.h"

namespace murmur::segment {

namespace {

const std::vector<std::string> kAnnotatedStates = {"S1", "systole", "S2", "diastole", "noise"};

std::vector<double> centres(const std::vector<AnnotatedSpan>& spans, const std::string& state) {
  std::vector<double> out;
  for (const auto& s : spans)
    if (s.state == state) out.push_back(0.5 * (s.start_s + s.end_s));
  return out;
}

// Hits are pairs (found, annotated) closer than tolerance, taken nearest first, each used once.
EventCounts match(std::vector<double> found, const std::vector<double>& truth, double tolerance_s) {
  struct Pair { double distance; size_t f, t; };
  std::vector<Pair> pairs;
  for (size_t f = 0; f < found.size(); ++f)
    for (size_t t = 0; t < truth.size(); ++t)
      if (std::abs(found[f] - truth[t]) <= tolerance_s) pairs.push_back({std::abs(found[f] - truth[t]), f, t});
  std::sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) { return a.distance < b.distance; });
  std::vector<bool> f_used(found.size()), t_used(truth.size());
  EventCounts c;
  for (const auto& p : pairs) {
    if (f_used[p.f] || t_used[p.t]) continue;
    f_used[p.f] = t_used[p.t] = true;
    ++c.hits;
  }
  c.false_alarms = static_cast<int>(found.size()) - c.hits;
  c.misses = static_cast<int>(truth.size()) - c.hits;
  return c;
}

}  // namespace

std::vector<AnnotatedSpan> parse_annotation(const std::string& text, const std::string& source) {
  std::vector<AnnotatedSpan> out;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || (n == 1 && line.rfind("start_s", 0) == 0)) continue;
    std::vector<std::string> f;
    std::istringstream cells(line);
    for (std::string c; std::getline(cells, c, '\t');) f.push_back(c);
    const std::string where = source + ":" + std::to_string(n) + ": ";
    if (f.size() != 3) throw Error(where + std::to_string(f.size()) + " fields (expected start_s, end_s, state)");
    AnnotatedSpan s;
    try {
      s.start_s = util::parse_double(f[0]);
      s.end_s = util::parse_double(f[1]);
    } catch (const std::exception&) {
      throw Error(where + "start_s and end_s must be numbers (got '" + util::csv::printable(f[0]) + "', '" +
                  util::csv::printable(f[1]) + "')");
    }
    if (s.end_s < s.start_s) throw Error(where + "end_s is before start_s");
    s.state = f[2];
    if (std::find(kAnnotatedStates.begin(), kAnnotatedStates.end(), s.state) == kAnnotatedStates.end())
      throw Error(where + "unknown state '" + util::csv::printable(s.state) + "' (S1, systole, S2, diastole or noise)");
    out.push_back(s);
  }
  return out;
}

std::vector<AnnotatedSpan> read_annotation(const std::string& path) { return parse_annotation(util::read_file(path), path); }

double EventCounts::precision() const { return hits + false_alarms ? double(hits) / (hits + false_alarms) : 0.0; }
double EventCounts::recall() const { return hits + misses ? double(hits) / (hits + misses) : 0.0; }
double EventCounts::f1() const {
  const int d = 2 * hits + false_alarms + misses;
  return d ? 2.0 * hits / d : 0.0;
}
EventCounts& EventCounts::operator+=(const EventCounts& o) {
  hits += o.hits, false_alarms += o.false_alarms, misses += o.misses;
  return *this;
}

EventScores score_events(const Segmentation& found, const std::vector<AnnotatedSpan>& truth, double tolerance_s) {
  double lo = 0, hi = 0;
  bool any = false;
  for (const auto& s : truth) {
    if (s.state == "noise") continue;
    lo = any ? std::min(lo, s.start_s) : s.start_s;
    hi = any ? std::max(hi, s.end_s) : s.end_s;
    any = true;
  }
  auto counted = [&](double t) {
    if (!any || t < lo || t > hi) return false;
    for (const auto& s : truth)
      if (s.state == "noise" && t >= s.start_s && t <= s.end_s) return false;
    return true;
  };
  auto found_centres = [&](State state) {
    std::vector<double> out;
    for (const auto& s : found.segments)
      if (s.state == state && counted(0.5 * (s.start_s + s.end_s))) out.push_back(0.5 * (s.start_s + s.end_s));
    return out;
  };
  return {match(found_centres(State::kS1), centres(truth, "S1"), tolerance_s),
          match(found_centres(State::kS2), centres(truth, "S2"), tolerance_s)};
}

std::vector<int> frame_labels(const std::vector<AnnotatedSpan>& truth, int n_frames) {
  std::vector<int> out(size_t(std::max(0, n_frames)), -1);
  for (const bool noise : {false, true})  // noise last: it overrides whatever overlaps it
    for (const auto& s : truth) {
      int state = -1;
      for (int k = 0; k < kNumStates; ++k)
        if (s.state == state_name(State(k))) state = k;
      if ((state < 0) != noise) continue;
      const double first = std::max(0.0, std::ceil(s.start_s * kFrameRateHz - 0.5));  // a double: any time is safe
      if (first >= n_frames) continue;
      for (int t = int(first); t < n_frames && (t + 0.5) / kFrameRateHz < s.end_s; ++t) out[size_t(t)] = state;
    }
  return out;
}

SegmentConfig fit_sound_durations(const std::vector<std::vector<AnnotatedSpan>>& truths, SegmentConfig base) {
  struct Moments { double n = 0, sum = 0, sum_sq = 0; };
  Moments s1, s2;
  for (const auto& spans : truths)
    for (size_t i = 1; i + 1 < spans.size(); ++i) {  // whole sounds only: both neighbours annotated
      if (spans[i - 1].state == "noise" || spans[i + 1].state == "noise") continue;
      Moments* m = spans[i].state == "S1" ? &s1 : spans[i].state == "S2" ? &s2 : nullptr;
      if (!m) continue;
      const double d = spans[i].end_s - spans[i].start_s;
      m->n += 1, m->sum += d, m->sum_sq += d * d;
    }
  auto fit = [](const Moments& m, const char* sound, double& mean, double& sd) {
    if (m.n < 2) throw Error(std::string("fit_sound_durations: fewer than 2 whole ") + sound + " annotated");
    mean = m.sum / m.n;
    sd = std::sqrt(std::max(0.0, (m.sum_sq - m.n * mean * mean) / (m.n - 1)));
  };
  fit(s1, "S1", base.s1_mean_s, base.s1_sd_s);
  fit(s2, "S2", base.s2_mean_s, base.s2_sd_s);
  return base;
}

FittedSegmenter fit_segmenter(const std::vector<Features>& features,
                              const std::vector<std::vector<AnnotatedSpan>>& truths) {
  if (features.size() != truths.size())
    throw Error("fit_segmenter: " + std::to_string(features.size()) + " feature sets for " +
                std::to_string(truths.size()) + " annotations");
  std::vector<std::vector<int>> labels;
  for (size_t i = 0; i < features.size(); ++i) labels.push_back(frame_labels(truths[i], features[i].n_frames()));
  return {fit_emissions(features, labels), fit_sound_durations(truths, {})};
}

}  // namespace murmur::segment
