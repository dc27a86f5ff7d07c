// features/band_profile.h: a tone lands in its octave, gain does not matter, rates up to the
// range's top are fine and a band a rate cannot hold is NaN, never a number.
#include "features/band_profile.h"

#include <gtest/gtest.h>

#include <cmath>

namespace mf = murmur::features;

namespace {

std::vector<float> tone(double hz, int rate_hz, double seconds, double amplitude) {
  std::vector<float> x(size_t(seconds * rate_hz));
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(amplitude * std::sin(2 * M_PI * hz * double(i) / rate_hz));
  return x;
}

}  // namespace

TEST(BandProfile, AToneLandsInItsOctaveWhateverTheGain) {
  for (int rate : {2000, 4000}) {
    const auto db = mf::band_profile_db(tone(150, rate, 5, 0.5), rate);
    ASSERT_EQ(db.size(), 5u);
    EXPECT_NEAR(db[2], 0.0, 0.01) << rate;  // 100-200 Hz holds it all
    for (size_t k : {0, 1, 3, 4}) EXPECT_LT(db[k], -40) << rate << " band " << k;
    const auto quiet = mf::band_profile_db(tone(150, rate, 5, 0.005), rate);
    for (size_t k = 0; k < db.size(); ++k) EXPECT_NEAR(quiet[k], db[k], 0.01) << k;
  }
  // Two equal tones an octave apart share the power: -3 dB each.
  auto two = tone(75, 4000, 5, 0.5);
  const auto other = tone(300, 4000, 5, 0.5);
  for (size_t i = 0; i < two.size(); ++i) two[i] += other[i];
  const auto db = mf::band_profile_db(two, 4000);
  EXPECT_NEAR(db[1], -3.01, 0.05);
  EXPECT_NEAR(db[3], -3.01, 0.05);
}

TEST(BandProfile, WhatCannotBeMeasuredIsNaN) {
  for (double v : mf::band_profile_db(std::vector<float>(20000, 0.0f), 4000)) EXPECT_TRUE(std::isnan(v));  // silence
  for (double v : mf::band_profile_db(std::vector<float>(100, 0.1f), 4000)) EXPECT_TRUE(std::isnan(v));    // too short
  const auto low_rate = mf::band_profile_db(tone(150, 1000, 5, 0.5), 1000);  // Nyquist 500 Hz
  EXPECT_TRUE(std::isnan(low_rate[4]));
  EXPECT_NEAR(low_rate[2], 0.0, 0.01);
}
