// segment/score.h: reading hand annotations, S1/S2 detection counts with a tolerance, noise and
// out-of-span exclusions, and the frame labels a refit learns from.
#include "segment/score.h"

#include <gtest/gtest.h>

#include <cmath>

#include "util/error.h"

namespace sg = murmur::segment;

namespace {

sg::Segmentation found(const std::vector<std::pair<sg::State, std::pair<double, double>>>& runs) {
  sg::Segmentation s;
  for (const auto& [state, span] : runs) s.segments.push_back({state, span.first, span.second, false});
  return s;
}

std::string error_of(const std::string& text) {
  try {
    sg::parse_annotation(text, "a.tsv");
  } catch (const murmur::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(SegmentScore, ReadsPhysionetAnnotationsAndNamesBadLines) {
  const auto spans = sg::parse_annotation("start_s\tend_s\tstate\n0.0\t0.1\tS1\r\n0.1\t0.4\tsystole\n0.4\t0.5\tnoise\n", "a.tsv");
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_EQ(spans[1].state, "systole");
  EXPECT_DOUBLE_EQ(spans[1].end_s, 0.4);
  EXPECT_EQ(error_of("start_s\tend_s\tstate\n0\t0.1\tS3\n"), "a.tsv:2: unknown state 'S3' (S1, systole, S2, diastole or noise)");
  EXPECT_EQ(error_of("0\tx\tS1\n"), "a.tsv:1: start_s and end_s must be numbers (got '0', 'x')");
  EXPECT_EQ(error_of("0.5\t0.1\tS1\n"), "a.tsv:1: end_s is before start_s");
  EXPECT_EQ(error_of("0\t0.1\n"), "a.tsv:1: 2 fields (expected start_s, end_s, state)");
  EXPECT_EQ(error_of("0\tnan\tS1\n"), "a.tsv:1: start_s and end_s must be numbers (got '0', 'nan')");
}

TEST(SegmentScore, HitsFalseAlarmsAndMissesWithinTolerance) {
  // Annotated: S1 centred at 0.05, 1.05; S2 at 0.45, 1.45. Found: S1 at 0.09 (hit, 40 ms), 1.15
  // (100 ms: a false alarm and a miss); S2 at 0.45 (hit) and an extra at 0.7 (false alarm).
  const auto truth = sg::parse_annotation(
      "0\t0.1\tS1\n0.1\t0.4\tsystole\n0.4\t0.5\tS2\n0.5\t1.0\tdiastole\n1.0\t1.1\tS1\n1.1\t1.4\tsystole\n1.4\t1.5\tS2\n",
      "t.tsv");
  const auto s = sg::score_events(found({{sg::State::kS1, {0.04, 0.14}}, {sg::State::kS1, {1.1, 1.2}},
                                         {sg::State::kS2, {0.4, 0.5}}, {sg::State::kS2, {0.65, 0.75}},
                                         {sg::State::kS2, {1.4, 1.5}}}),
                                  truth);
  EXPECT_EQ(s.s1.hits, 1);
  EXPECT_EQ(s.s1.false_alarms, 1);
  EXPECT_EQ(s.s1.misses, 1);
  EXPECT_DOUBLE_EQ(s.s1.f1(), 0.5);
  EXPECT_EQ(s.s2.hits, 2);
  EXPECT_EQ(s.s2.false_alarms, 1);
  EXPECT_EQ(s.s2.misses, 0);
  EXPECT_NEAR(s.s2.f1(), 0.8, 1e-12);
  // One found sound never serves two annotated ones.
  const auto twice = sg::score_events(found({{sg::State::kS1, {0.0, 0.1}}}),
                                      sg::parse_annotation("0\t0.1\tS1\n0.1\t0.12\tS1\n", "u.tsv"), 0.05);
  EXPECT_EQ(twice.s1.hits, 1);
  EXPECT_EQ(twice.s1.misses, 1);
}

TEST(SegmentScore, NoiseAndOutsideTheAnnotatedSpanAreNotCounted) {
  const auto truth = sg::parse_annotation("1.0\t1.1\tS1\n1.1\t1.4\tsystole\n1.4\t2.0\tnoise\n", "n.tsv");
  const auto s = sg::score_events(found({{sg::State::kS1, {0.2, 0.3}},      // before the annotated span
                                         {sg::State::kS1, {1.0, 1.1}},      // hit
                                         {sg::State::kS2, {1.6, 1.7}}}),    // inside noise
                                  truth);
  EXPECT_EQ(s.s1.hits, 1);
  EXPECT_EQ(s.s1.false_alarms, 0);
  EXPECT_EQ(s.s2.false_alarms, 0);
  EXPECT_EQ(s.s2.misses, 0);
  EXPECT_EQ(sg::EventCounts{}.f1(), 0.0);
}

TEST(SegmentScore, FrameLabelsAtFrameCentresWithNoiseLeftOut) {
  // 50 Hz frames: frame t is centred at (t + 0.5) / 50 s.
  const auto truth = sg::parse_annotation("0\t0.1\tS1\n0.1\t0.3\tsystole\n0.2\t0.26\tnoise\n0.3\t0.34\tS2\n", "f.tsv");
  const std::vector<int> labels = sg::frame_labels(truth, 20);
  const std::vector<int> want = {0, 0, 0, 0, 0, 1, 1, 1, 1, 1, -1, -1, -1, 1, 1, 2, 2, -1, -1, -1};
  EXPECT_EQ(labels, want);
  EXPECT_TRUE(sg::frame_labels(truth, 0).empty());
}

TEST(SegmentScore, SoundDurationsAreFittedOnWholeAnnotatedSounds) {
  // Recording 1: an S1 cut by the start, then S1 of 0.12 and 0.14 s, S2 of 0.10 s, an S2 next to
  // noise (not whole) and a last S1 cut by the end. Recording 2: one whole S2 of 0.08 s.
  const auto one = sg::parse_annotation(
      "0\t0.5\tS1\n0.5\t0.7\tsystole\n0.7\t0.8\tS2\n0.8\t1.2\tdiastole\n1.2\t1.32\tS1\n1.32\t1.5\tsystole\n"
      "1.5\t1.6\tnoise\n1.6\t1.7\tS2\n1.7\t2.0\tdiastole\n2.0\t2.14\tS1\n2.14\t2.3\tsystole\n2.3\t2.4\tS1\n",
      "one.tsv");
  const auto two = sg::parse_annotation("0\t0.3\tdiastole\n0.3\t0.38\tS2\n0.38\t0.6\tdiastole\n", "two.tsv");
  sg::SegmentConfig base;
  base.systole_sd_s = 0.05;
  const sg::SegmentConfig c = sg::fit_sound_durations({one, two}, base);
  EXPECT_NEAR(c.s1_mean_s, 0.13, 1e-9);
  EXPECT_NEAR(c.s1_sd_s, std::sqrt(2 * 0.01 * 0.01), 1e-9);  // sample sd of 0.12 and 0.14
  EXPECT_NEAR(c.s2_mean_s, 0.09, 1e-9);
  EXPECT_NEAR(c.s2_sd_s, std::sqrt(2 * 0.01 * 0.01), 1e-9);
  EXPECT_EQ(c.systole_sd_s, 0.05) << "only the sounds' durations are refitted";
  EXPECT_THROW(sg::fit_sound_durations({two}, base), murmur::Error) << "fewer than 2 whole S1";
}
