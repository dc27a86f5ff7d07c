// The heart-cycle segmenter: S1/S2 detection on synthetic recordings with known beats (45-160 bpm,
// every class, 10-30 dB SNR, 2 and 4 kHz), the input it refuses, and its outputs' invariants.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "audio/audio.h"
#include "segment/segment.h"
#include "segment_test_util.h"
#include "test_util.h"
#include "util/error.h"

namespace {

using namespace murmur;
using segment::State;

struct Tally {
  test::OnsetCounts s1, s2;
  int n = 0, hr_within_5 = 0;
};

// 5 classes x 5 heart rates x 3 SNRs = 75 recordings of 10 s; seeds 5000+ (the synthetic emission
// model was fitted on seeds 1000-1199), per condition ("all", class, rate, SNR).
std::map<std::string, Tally> score_synthetic(const segment::SegmentConfig& cfg, bool print_failures) {
  const double rates[] = {45, 70, 100, 130, 160}, snrs[] = {10, 20, 30};
  std::map<std::string, Tally> by;
  uint64_t seed = 5000;
  for (int cls = 0; cls < 5; ++cls)
    for (double hr : rates)
      for (double snr : snrs) {
        test::SegmentCase c = test::draw_segment_case(seed++, hr);
        c.cls = cls;
        c.snr_db = snr;
        std::vector<synth::CardiacCycle> cycles;
        std::vector<float> pcm = test::render(c, cycles);
        segment::Segmentation s = segment::segment(pcm, c.rate_hz, cfg);
        std::vector<double> s1, s2;
        for (auto& k : cycles) s1.push_back(k.s1_s), s2.push_back(k.s2_s);
        EXPECT_GE(s.systolic_interval_s, cfg.min_systolic_interval_s) << c.seed;
        EXPECT_LE(s.systolic_interval_s, cfg.max_systolic_interval_s) << c.seed;
        auto m1 = test::match_onsets(s1, test::detected_onsets(s, State::kS1), c.duration_s);
        auto m2 = test::match_onsets(s2, test::detected_onsets(s, State::kS2), c.duration_s);
        double true_hr = hr * (c.position == "sit" ? 1.04 : 1.0);  // synth: sitting is 4 % faster
        if (print_failures && (m1.f1() < 0.8 || m2.f1() < 0.8))
          std::printf("seed %llu %s %s %s %.0f bpm (found %.0f) SNR %.0f dB %d Hz: S1 F1 %.2f, S2 F1 %.2f\n",
                      (unsigned long long)c.seed, data::kClassNames[cls].c_str(), c.site.c_str(), c.position.c_str(),
                      true_hr, s.heart_rate_bpm, snr, c.rate_hz, m1.f1(), m2.f1());
        char hr_key[32], snr_key[32];
        std::snprintf(hr_key, sizeof hr_key, "%3.0f bpm", hr);
        std::snprintf(snr_key, sizeof snr_key, "%2.0f dB SNR", snr);
        for (const std::string& key : {std::string("all"), data::kClassNames[cls], std::string(hr_key), std::string(snr_key)}) {
          Tally& t = by[key];
          t.s1.add(m1);
          t.s2.add(m2);
          t.n++;
          t.hr_within_5 += std::abs(s.heart_rate_bpm - true_hr) <= 5;
        }
      }
  std::printf("%s emissions:\n%-12s %4s %8s %8s %10s\n", cfg.emissions.c_str(), "condition", "n", "S1 F1", "S2 F1",
              "HR +-5bpm");
  for (auto& [key, t] : by)
    std::printf("%-12s %4d %8.3f %8.3f %10.2f\n", key.c_str(), t.n, t.s1.f1(), t.s2.f1(), double(t.hr_within_5) / t.n);
  return by;
}

// The synthetic model's own check. The default, fitted on real hearts, is scored on real ones by
// segment_emission_test.cpp; on these it finds the heart rate as well and the sounds less well
// (it swaps S1 and S2 in some fast or AR recordings), printed here for docs/segment.md.
TEST(Segment, DetectsS1AndS2OnSyntheticRecordings) {
  auto by = score_synthetic(segment::SegmentConfig::synthetic(), true);
  EXPECT_GE(by["all"].s1.f1(), 0.95);
  EXPECT_GE(by["all"].s2.f1(), 0.95);
  for (auto& [key, t] : by) {  // no condition may hide behind the average
    EXPECT_GE(t.s1.f1(), 0.9) << key;
    EXPECT_GE(t.s2.f1(), 0.9) << key;
  }
  EXPECT_GE(double(by["all"].hr_within_5) / by["all"].n, 0.95);
  auto real = score_synthetic(segment::SegmentConfig{}, false);
  EXPECT_GE(double(real["all"].hr_within_5) / real["all"].n, 0.95);
  EXPECT_GE(real["all"].s1.f1(), 0.7);  // measured 0.77: the sounds, not the rate, are what it misses
}

TEST(Segment, CyclesAreOrderedAndTileTheSegments) {
  test::SegmentCase c = test::draw_segment_case(77, 72);
  std::vector<synth::CardiacCycle> truth;
  segment::Segmentation s = segment::segment(test::render(c, truth), c.rate_hz);
  ASSERT_GE(s.cycles.size(), 8u);  // 72 bpm over 10 s: 11-12 beats, the edge ones incomplete
  for (const auto& k : s.cycles) {
    EXPECT_LT(k.s1_onset_s, k.s1_offset_s);
    EXPECT_LT(k.s1_offset_s, k.s2_onset_s);
    EXPECT_LT(k.s2_onset_s, k.s2_offset_s);
    EXPECT_LT(k.s2_offset_s, k.next_s1_onset_s);
    EXPECT_NEAR(k.systole_s, k.s2_onset_s - k.s1_offset_s, 1e-9);
    EXPECT_NEAR(k.diastole_s, k.next_s1_onset_s - k.s2_offset_s, 1e-9);
  }
  ASSERT_EQ(s.states.size(), size_t(c.duration_s * segment::kFrameRateHz));
  EXPECT_EQ(s.segments.front().start_s, 0);
  EXPECT_NEAR(s.segments.back().end_s, c.duration_s, 1e-9);
  for (size_t i = 1; i < s.segments.size(); ++i) {
    EXPECT_EQ(s.segments[i].start_s, s.segments[i - 1].end_s);
    EXPECT_EQ(int(s.segments[i].state), (int(s.segments[i - 1].state) + 1) % segment::kNumStates);
  }
  nlohmann::json j = segment::to_json(s, true);
  EXPECT_EQ(j["n_cycles"], s.cycles.size());
  EXPECT_EQ(j["states"].size(), s.states.size());
}

TEST(Segment, StatesAtAnotherFrameRate) {
  test::SegmentCase c = test::draw_segment_case(78, 90);
  std::vector<synth::CardiacCycle> truth;
  segment::Segmentation s = segment::segment(test::render(c, truth), c.rate_hz);
  EXPECT_EQ(segment::states_at(s, 1 / segment::kFrameRateHz, int(s.states.size())), s.states);
  // The native preset's log-mel hop (128 samples at 4 kHz): frame k is centred at k * 0.032 s.
  auto coarse = segment::states_at(s, 0.032, 313);
  ASSERT_EQ(coarse.size(), 313u);
  for (int k = 0; k < 313; ++k) EXPECT_EQ(coarse[k], s.states[std::min<size_t>(499, k * 32 / 20)]) << k;
  EXPECT_THROW(segment::states_at(s, 0, 10), Error);
}

// MD_057_sup_Mit has no autocorrelation peak in its systole window: the refinement of the
// stand-in lag once threw the systolic interval to 6.4 s (a near-flat parabola's vertex), and the
// decoder then spent 6 s per cycle in systole. A refined lag stays within half a frame.
TEST(Segment, SystolicIntervalStaysPhysiologicalWithoutAPeak) {
  MURMUR_REQUIRE_BMDHS();
  audio::Audio a = audio::load(test::bmdhs_dir() + "/train/MD_057_sup_Mit.wav");
  segment::Segmentation s = segment::segment(a.samples, a.sample_rate_hz);
  EXPECT_GE(s.systolic_interval_s, 0.12);
  EXPECT_LE(s.systolic_interval_s, 0.6);
  for (const auto& c : s.cycles) EXPECT_LT(c.systole_s, 0.6) << c.s1_onset_s;
  EXPECT_GE(s.cycles.size(), 15u);  // 65 bpm over 20 s
}

TEST(Segment, RefusesWhatItCannotSegment) {
  test::SegmentCase c = test::draw_segment_case(79, 70);
  c.duration_s = 3;
  std::vector<synth::CardiacCycle> truth;
  std::vector<float> pcm = test::render(c, truth);
  auto message = [](auto&& f) {
    try {
      f();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  // 1 s exactly is enough; one sample less is not.
  std::vector<float> one_s(pcm.begin(), pcm.begin() + c.rate_hz);
  EXPECT_NO_THROW(segment::segment(one_s, c.rate_hz));
  std::vector<float> short_x(pcm.begin(), pcm.begin() + c.rate_hz - 1);
  EXPECT_NE(message([&] { segment::segment(short_x, c.rate_hz, {}, "a.wav"); }).find("a.wav: 0.99"), std::string::npos);
  // 2 kHz is enough; 1999 Hz is not.
  EXPECT_NE(message([&] { segment::segment(pcm, 1999, {}, "b.wav"); }).find("b.wav: sample rate 1999 Hz"),
            std::string::npos);
  EXPECT_NE(message([&] { segment::segment(std::vector<float>(8000, 0.f), 4000, {}, "c.wav"); }).find("c.wav: no signal"),
            std::string::npos);
  EXPECT_NE(message([&] { segment::segment(std::vector<float>(8000, 0.3f), 4000, {}, "d.wav"); }).find("d.wav: no signal"),
            std::string::npos);  // a constant offset holds no heart sound either
  std::vector<float> nan_x = pcm;
  nan_x[100] = std::nanf("");
  EXPECT_NE(message([&] { segment::segment(nan_x, c.rate_hz, {}, "e.wav"); }).find("e.wav: NaN"), std::string::npos);
}

TEST(Segment, ConfigNamesTheBadKey) {
  segment::SegmentConfig cfg;
  cfg.max_heart_rate_bpm = 30;
  try {
    cfg.validate();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("segment.max_heart_rate_bpm"), std::string::npos) << e.what();
  }
  segment::SegmentConfig bad_window;
  bad_window.max_systolic_interval_s = 0.1;  // below the minimum of 0.12
  EXPECT_THROW(bad_window.validate(), Error);
  // Every field survives JSON: changed values come back changed.
  segment::SegmentConfig changed;
  changed.s1_mean_s = 0.11;
  changed.min_relative_autocorrelation = 0.6;
  changed.max_systolic_interval_s = 0.55;
  changed.max_systole_candidates = 2;
  changed.emissions = "synthetic";
  nlohmann::json j = changed;
  EXPECT_EQ(j.size(), 17u);  // every SegmentConfig field
  segment::SegmentConfig back = j.get<segment::SegmentConfig>();
  EXPECT_EQ(nlohmann::json(back), j);
  EXPECT_EQ(back.min_relative_autocorrelation, 0.6);
  EXPECT_EQ(back.max_systolic_interval_s, 0.55);
}

}  // namespace
