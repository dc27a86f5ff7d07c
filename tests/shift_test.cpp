// Controlled shifts (audio/shift.h): the filters pass and stop what they should, the noise lands
// at the SNR asked for, gains clip, crops and rates have the sizes a user's file would have.
#include "audio/shift.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "util/error.h"

namespace ma = murmur::audio;

namespace {

ma::Audio sine(double hz, double seconds = 20, int rate = 4000, float amp = 0.5f) {
  ma::Audio a;
  a.sample_rate_hz = a.source_rate_hz = rate;
  a.source_channels = 1;
  for (int i = 0; i < int(seconds * rate); ++i) a.samples.push_back(amp * float(std::sin(2 * M_PI * hz * i / rate)));
  return a;
}

double power(const std::vector<float>& x, size_t from = 0) {
  double s = 0;
  for (size_t i = from; i < x.size(); ++i) s += double(x[i]) * x[i];
  return s / double(x.size() - from);
}

double gain_db(const ma::Audio& before, const ma::Audio& after) {
  return 10 * std::log10(power(after.samples, 4000) / power(before.samples, 4000));  // after the filters settle
}

}  // namespace

TEST(Shift, StethoscopeResponsesShapeTheBand) {
  const ma::Shift diaphragm{"stethoscope", "diaphragm", 3}, bell{"stethoscope", "bell", 2};
  const auto low = sine(40), mid = sine(250), high = sine(1500);
  EXPECT_LT(gain_db(low, ma::apply_shift(low, diaphragm, 1)[0]), -10) << "the diaphragm cuts under 100 Hz";
  EXPECT_NEAR(gain_db(mid, ma::apply_shift(mid, diaphragm, 1)[0]), 0, 3.5);
  EXPECT_LT(gain_db(high, ma::apply_shift(high, diaphragm, 1)[0]), -15);
  EXPECT_GT(gain_db(low, ma::apply_shift(low, bell, 1)[0]), 4) << "the bell lifts the low range";
  EXPECT_LT(gain_db(high, ma::apply_shift(high, bell, 1)[0]), -3);
}

TEST(Shift, NoiseLandsAtTheSnrAskedFor) {
  const auto a = sine(60);
  for (const char* kind : {"white", "pink", "breathing", "friction"})
    for (double snr : {20.0, 5.0}) {
      const auto x = ma::apply_shift(a, {"noise", kind, snr}, 7)[0];
      std::vector<float> n(a.samples.size());
      for (size_t i = 0; i < n.size(); ++i) n[i] = x.samples[i] - a.samples[i];
      EXPECT_NEAR(10 * std::log10(power(a.samples) / power(n)), snr, 0.01) << kind;
      EXPECT_EQ(ma::apply_shift(a, {"noise", kind, snr}, 7)[0].samples, x.samples) << "seeded";
      EXPECT_NE(ma::apply_shift(a, {"noise", kind, snr}, 8)[0].samples, x.samples) << "by the seed";
    }
  EXPECT_THROW(ma::apply_shift(a, {"noise", "purple", 10}, 1), murmur::Error);
}

TEST(Shift, GainsClipCropsAndRatesHaveTheirSizes) {
  const auto a = sine(60);
  const auto loud = ma::apply_shift(sine(60, 20, 4000, 0.8f), {"gain", "", 6}, 1)[0];
  EXPECT_EQ(*std::max_element(loud.samples.begin(), loud.samples.end()), 1.f) << "0.8 x +6 dB clips at 1";
  EXPECT_EQ(*std::min_element(loud.samples.begin(), loud.samples.end()), -1.f);
  const auto quiet = ma::apply_shift(a, {"gain", "", -20}, 1)[0];
  EXPECT_NEAR(gain_db(a, quiet), -20, 0.01);
  const auto clips = ma::apply_shift(a, {"crop", "", 2}, 1);
  ASSERT_EQ(clips.size(), 10u);
  for (const auto& c : clips) EXPECT_EQ(c.samples.size(), 8000u);
  EXPECT_TRUE(ma::apply_shift(sine(60, 1.5), {"crop", "", 2}, 1).empty()) << "no whole clip";
  const auto fast = ma::apply_shift(a, {"rate", "", 44100}, 1)[0];
  EXPECT_EQ(fast.sample_rate_hz, 44100);
  EXPECT_NEAR(double(fast.samples.size()), 20 * 44100, 2);
  const auto all = ma::apply_shift(a, {"combined", "", 0}, 1);
  ASSERT_EQ(all.size(), 5u) << "4 s clips of 20 s";
  EXPECT_EQ(all[0].sample_rate_hz, 8000);
  const auto shifts = ma::bench_shifts();
  EXPECT_EQ(shifts.size(), 29u);
  std::set<std::string> names;
  for (const auto& s : shifts) names.insert(s.name());
  EXPECT_EQ(names.size(), shifts.size()) << "every shift has its own name";
  EXPECT_TRUE(names.count("noise pink 10 dB") && names.count("rate 44.1 kHz") && names.count("gain -20 dB"));
  EXPECT_THROW(ma::apply_shift(a, {"tunnel", "", 1}, 1), murmur::Error);
}
