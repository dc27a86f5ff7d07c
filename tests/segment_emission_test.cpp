// The segmenter's emission model is the refit it claims to be, and the fit itself behaves.
//
// To refit after changing the features or the training recordings:
//   build/murmur_tests --gtest_filter=SegmentEmission.DefaultModelIsTheRefit
// prints the new constants when they differ; paste them into src/segment/emission.cpp.
#include <gtest/gtest.h>

#include <cstdio>

#include "segment/emission.h"
#include "segment_test_util.h"
#include "util/error.h"

namespace {

using namespace murmur;

// 200 recordings of 10 s (seeds 1000-1199; the detection tests use other seeds).
segment::EmissionModel refit() {
  std::vector<segment::Features> features;
  std::vector<std::vector<int>> labels;
  for (uint64_t seed = 1000; seed < 1200; ++seed) {
    test::SegmentCase c = test::draw_segment_case(seed);
    std::vector<synth::CardiacCycle> cycles;
    std::vector<float> pcm = test::render(c, cycles);
    features.push_back(segment::envelope_features(pcm, c.rate_hz));
    labels.push_back(test::frame_labels(cycles, features.back().n_frames()));
  }
  return segment::fit_emissions(features, labels);
}

TEST(SegmentEmission, DefaultModelIsTheRefit) {
#if defined(__clang__)
  // The constants are fitted by the release build (gcc). clang's build (./run test --sanitize)
  // computes the same fit with a different floating-point order, and the iterative fit carries
  // that to differences of ~0.05 in the weights (measured in CI), so the check is gcc's alone.
  GTEST_SKIP() << "the emission constants are checked against gcc's refit (the release build)";
#endif
  const segment::EmissionModel fitted = refit(), &used = segment::default_emissions();
  double worst = 0;
  for (int s = 0; s < segment::kNumStates; ++s) {
    worst = std::max(worst, std::abs(fitted.prior[s] - used.prior[s]));
    for (int k = 0; k <= segment::kNumFeatures; ++k)
      worst = std::max(worst, std::abs(fitted.weights[s][k] - used.weights[s][k]));
  }
  if (worst > 1e-4) {
    std::printf("src/segment/emission.cpp is not the refit (largest difference %.6f); paste:\n", worst);
    for (auto& w : fitted.weights) {
      std::printf("        {");
      for (int k = 0; k <= segment::kNumFeatures; ++k) std::printf("%.6f%s", w[k], k < segment::kNumFeatures ? ", " : "},\n");
    }
    std::printf("    m.prior = {%.6f, %.6f, %.6f, %.6f};\n", fitted.prior[0], fitted.prior[1], fitted.prior[2],
                fitted.prior[3]);
  }
  EXPECT_LE(worst, 1e-4);
}

TEST(SegmentEmission, FitSeparatesStatesThatDiffer) {
  // Two recordings' worth of frames where loud frames are S1/S2 and quiet ones the intervals:
  // the fitted posteriors must rank a loud frame as a sound and a quiet one as an interval.
  segment::Features f;
  std::vector<int> labels;
  for (int t = 0; t < 400; ++t) {
    int state = t % 4;
    float loud = (state == 0 || state == 2) ? 2.0f : -0.5f;
    f.values.push_back({loud + 0.1f * (t % 7), loud, state == 0 ? 1.0f : -1.0f, state == 2 ? 1.0f : -1.0f});
    labels.push_back(state);
  }
  segment::EmissionModel m = segment::fit_emissions({f}, {labels});
  const segment::FeatureVector s1 = f.values[0], quiet = f.values[1];
  EXPECT_GT(m.log_emission(s1, segment::State::kS1), m.log_emission(s1, segment::State::kSystole));
  EXPECT_GT(m.log_emission(quiet, segment::State::kSystole), m.log_emission(quiet, segment::State::kS1));
  EXPECT_NEAR(m.prior[0], 0.25, 1e-12);
}

TEST(SegmentEmission, FitRefusesMismatchedOrEmptyLabels) {
  segment::Features f;
  f.values.assign(10, segment::FeatureVector{});
  EXPECT_THROW(segment::fit_emissions({f}, {std::vector<int>(9, 0)}), Error);
  EXPECT_THROW(segment::fit_emissions({f}, {std::vector<int>(10, 3)}), Error);  // no S1 frame
}

}  // namespace
