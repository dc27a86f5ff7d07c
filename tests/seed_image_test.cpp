// Seed pictures against matplotlib and PIL (tools/make_seed_image_golden.py wrote the goldens
// with Debian's matplotlib 3.6 in the reference's RGBA interpolation stage) and against the
// reference project's own PNGs and golden.json.
//
// Map: crop rule -> config -> render vs matplotlib (synthetic, real) -> PIL resize -> input
// tensor -> reference PNGs -> end-to-end parity from the WAVs. To add a render case, add it
// to the tool's list and rerun it; RenderMatchesMatplotlib picks it up from manifest.json.
#include "features/seed_image.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <iostream>
#include <limits>
#include <thread>
#include <nlohmann/json.hpp>

#include "audio/audio.h"
#include "features/log_mel.h"
#include "features/png.h"
#include "test_util.h"
#include "util/error.h"
#include "util/fs.h"

using murmur::features::Image;
using murmur::features::Matrix;
using murmur::features::SeedImageConfig;

namespace {

Matrix read_matrix(const std::string& path, int rows, int cols) {
  std::string bytes = murmur::util::read_file(path);
  Matrix m(rows, cols);
  EXPECT_EQ(bytes.size(), m.data.size() * sizeof(float)) << path;
  std::memcpy(m.data.data(), bytes.data(), std::min(bytes.size(), m.data.size() * sizeof(float)));
  return m;
}

nlohmann::json manifest() {
  return nlohmann::json::parse(murmur::util::read_file(murmur::test::data_path("seed_image/manifest.json")));
}

struct Diff {
  double mean = 0;  // mean |a - b| over the colour channels, in 8-bit steps
  int max = 0;
  double exact = 0;  // fraction of equal samples
};

// Compares the first `channels` channels of two images of the same size.
Diff diff(const Image& a, const Image& b, int channels = 3) {
  EXPECT_EQ(a.width, b.width);
  EXPECT_EQ(a.height, b.height);
  Diff d;
  if (a.width != b.width || a.height != b.height) return {1e9, 255, 0};
  size_t n = 0, same = 0;
  for (int y = 0; y < a.height; ++y)
    for (int x = 0; x < a.width; ++x)
      for (int c = 0; c < channels; ++c) {
        const int e = std::abs(int(a.at(x, y, c)) - int(b.at(x, y, c)));
        d.mean += e;
        d.max = std::max(d.max, e);
        same += e == 0;
        ++n;
      }
  d.mean /= double(n);
  d.exact = double(same) / double(n);
  return d;
}

// Rows [y0, y1) of an image.
Image rows_of(const Image& im, int y0, int y1) {
  Image out(im.width, y1 - y0, im.channels);
  std::copy(im.pixels.begin() + size_t(y0) * im.width * im.channels,
            im.pixels.begin() + size_t(y1) * im.width * im.channels, out.pixels.begin());
  return out;
}

// The test card of make_seed_image_golden.py's formula_image.
Image formula_image(int w, int h) {
  Image im(w, h, 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) im.at(x, y, c) = uint8_t((x * 3 + y * 7 + c * 50 + (x * y / 64) % 17) % 256);
  return im;
}

std::pair<double, double> mean_std(const std::vector<float>& x) {  // torch: std with n - 1
  double s = 0, s2 = 0;
  for (float v : x) s += v;
  const double mean = s / x.size();
  for (float v : x) s2 += (v - mean) * (v - mean);
  return {mean, std::sqrt(s2 / (x.size() - 1))};
}

// A dB-like matrix whose bin means are given (every frame equal to the mean).
Matrix with_means(const std::vector<float>& means, int cols = 10) {
  Matrix m(int(means.size()), cols);
  for (int r = 0; r < m.rows; ++r)
    for (int c = 0; c < cols; ++c) m.at(r, c) = means[r];
  return m;
}

}  // namespace

TEST(SeedImage, CropKeepsTwoBinsAboveTheLastLoudBin) {
  SeedImageConfig cfg;
  std::vector<float> means(30, -70.f);
  means[0] = -10.f;  // loudest
  means[5] = -49.99f;  // within 40 dB of it: qualifies
  means[6] = -50.f;    // exactly 40 dB below: does not (strict >)
  EXPECT_EQ(murmur::features::seed_crop_top(with_means(means), cfg), 7);
  means[6] = -49.f;
  EXPECT_EQ(murmur::features::seed_crop_top(with_means(means), cfg), 8);
  Matrix cropped = murmur::features::seed_crop(with_means(means), cfg);
  EXPECT_EQ(cropped.rows, 9);
  EXPECT_EQ(cropped.cols, 10);
  EXPECT_EQ(cropped.at(8, 3), -70.f);
}

TEST(SeedImage, CropIsCappedAtTheTopBin) {
  SeedImageConfig cfg;
  std::vector<float> means(30, -70.f);
  means[27] = -10.f;  // 27 + 2 = 29: just fits
  EXPECT_EQ(murmur::features::seed_crop_top(with_means(means), cfg), 29);
  means[28] = -10.f;  // 28 + 2 = 30: capped at 29
  EXPECT_EQ(murmur::features::seed_crop_top(with_means(means), cfg), 29);
}

TEST(SeedImage, CropFallsBackTo24WhenNoBinQualifies) {
  SeedImageConfig cfg;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(murmur::features::seed_crop_top(with_means(std::vector<float>(30, nan)), cfg), 24);
  // ... still capped by the matrix height.
  EXPECT_EQ(murmur::features::seed_crop_top(with_means(std::vector<float>(20, nan)), cfg), 19);
  EXPECT_THROW(murmur::features::seed_crop_top(Matrix(), cfg), murmur::Error);
}

TEST(SeedImage, ConfigValidatesAndRoundTripsThroughJson) {
  SeedImageConfig cfg;
  EXPECT_NO_THROW(cfg.validate());
  cfg.input_size_px = 128;
  cfg.mean[1] = 0.5f;
  nlohmann::json j = cfg;
  SeedImageConfig back = j.get<SeedImageConfig>();
  EXPECT_EQ(back.input_size_px, 128);
  EXPECT_EQ(back.mean[1], 0.5f);
  EXPECT_EQ(back.width_px, 1500);
  cfg.std[2] = 0;
  try {
    cfg.validate();
    FAIL() << "std 0 accepted";
  } catch (const murmur::Error& e) {
    EXPECT_NE(std::string(e.what()).find("std"), std::string::npos) << e.what();
  }
  SeedImageConfig bad;
  bad.width_px = 0;
  EXPECT_THROW(bad.validate(), murmur::Error);
}

TEST(SeedImage, RenderMatchesMatplotlib) {
  const nlohmann::json m = manifest();  // not a temporary: the loop holds a reference into it
  ASSERT_FALSE(m["render"].empty());
  for (const auto& c : m["render"]) {
    const std::string name = c["name"];
    Matrix db = read_matrix(murmur::test::data_path("seed_image/" + c["matrix"].get<std::string>()), c["rows"], c["cols"]);
    Image ours = murmur::features::imshow_viridis(db, c["width"], c["height"]);
    Image mpl = murmur::features::read_png(murmur::test::data_path("seed_image/" + c["png"].get<std::string>()));
    ASSERT_EQ(mpl.channels, 4) << name;
    Diff d = diff(ours, mpl, 4);
    // Measured: identical (mean 0, max 0). Tolerance 0.5/255 mean.
    EXPECT_LT(d.mean, 0.5) << name << ": max " << d.max << ", exact " << d.exact;
    // Agg's 1/256-pixel details (LUT centring, span end point) move ~10% of the samples by 1-3:
    // demand (near) identity so such a change is caught.
    EXPECT_GT(d.exact, 0.999) << name << ": mean " << d.mean << ", max " << d.max;
  }
}

TEST(SeedImage, ResizeMatchesPil) {
  const nlohmann::json m = manifest();
  ASSERT_FALSE(m["resize"].empty());
  for (const auto& c : m["resize"]) {
    Image card = formula_image(c["from"][0], c["from"][1]);
    Image ours = murmur::features::resize_bilinear_pil(card, c["to"][0], c["to"][1]);
    Image pil = murmur::features::read_png(murmur::test::data_path("seed_image/" + c["png"].get<std::string>()));
    Diff d = diff(ours, pil);
    EXPECT_LE(d.max, 1) << c["png"];  // measured: identical
    EXPECT_GT(d.exact, 0.999) << c["png"];
  }
  // Same size: unchanged.
  Image card = formula_image(31, 17);
  EXPECT_EQ(murmur::features::resize_bilinear_pil(card, 31, 17).pixels, card.pixels);
}

TEST(SeedImage, RealRecordingMatchesMatplotlibAndPil) {
  auto r = manifest()["real"];
  if (r.is_null()) GTEST_SKIP() << "the goldens were made without BMD-HS: no real case";
  SeedImageConfig cfg;
  Matrix db = read_matrix(murmur::test::data_path("seed_image/" + r["matrix"].get<std::string>()), r["rows"], r["cols"]);
  EXPECT_EQ(murmur::features::seed_crop_top(db, cfg), r["crop_top"].get<int>());
  Image ours = murmur::features::render_seed_image(db, cfg);
  ASSERT_EQ(ours.width, 1500);
  ASSERT_EQ(ours.height, 600);
  ASSERT_EQ(ours.channels, 4);
  Image strip = murmur::features::read_png(murmur::test::data_path("seed_image/" + r["strip_png"].get<std::string>()));
  Diff d = diff(rows_of(ours, r["strip_rows"][0], r["strip_rows"][1]), strip, 4);
  EXPECT_LT(d.mean, 0.5) << "max " << d.max;  // measured: identical
  EXPECT_GT(d.exact, 0.999) << "mean " << d.mean << ", max " << d.max;
  for (int c = 0; c < 3; ++c) {
    double s = 0;
    for (size_t i = 0; i < size_t(1500) * 600; ++i) s += ours.pixels[i * 4 + c];
    EXPECT_NEAR(s / (1500.0 * 600), r["channel_means"][c].get<double>(), 0.5) << "channel " << c;
  }
  // Network input: the PIL-resized picture and the tensor statistics.
  Image rgb(1500, 600, 3);
  for (size_t i = 0; i < size_t(1500) * 600; ++i)
    for (int c = 0; c < 3; ++c) rgb.pixels[i * 3 + c] = ours.pixels[i * 4 + c];
  Image small = murmur::features::resize_bilinear_pil(rgb, 224, 224);
  Image pil = murmur::features::read_png(murmur::test::data_path("seed_image/" + r["input_png"].get<std::string>()));
  Diff ds = diff(small, pil);
  EXPECT_LE(ds.max, 1);  // measured: identical
  std::vector<float> x = murmur::features::seed_input(db, cfg, /*time_reversed=*/false);
  ASSERT_EQ(x.size(), size_t(3 * 224 * 224));
  auto [mean, sd] = mean_std(x);
  EXPECT_NEAR(mean, r["input_mean"].get<double>(), 1e-4);
  EXPECT_NEAR(sd, r["input_std"].get<double>(), 1e-4);
}

TEST(SeedImage, TimeReversedIsTheMirrorImage) {
  SeedImageConfig cfg;
  cfg.width_px = 300;  // 1.5x across 200 frames: the same Hanning/RGBA path as the seed images
  cfg.height_px = 120;
  Matrix db(30, 200);
  for (int r = 0; r < 30; ++r)
    for (int c = 0; c < 200; ++c) db.at(r, c) = -3.f * r - 0.1f * c + 5.f * std::sin(0.37f * c * (r + 1));
  Image im = murmur::features::render_seed_image(db, cfg);
  Image flipped = murmur::features::flip_left_right(im);
  EXPECT_EQ(flipped.at(0, 7, 1), im.at(299, 7, 1));
  EXPECT_EQ(flipped.at(123, 50, 2), im.at(176, 50, 2));
  EXPECT_NE(flipped.pixels, im.pixels);
  EXPECT_EQ(murmur::features::flip_left_right(flipped).pixels, im.pixels);
  EXPECT_EQ(murmur::features::seed_input(db, cfg, true), murmur::features::image_to_input(flipped, cfg));
  EXPECT_EQ(murmur::features::seed_input(db, cfg, false), murmur::features::image_to_input(im, cfg));
  // The network's bytes, picture and twin, drawn once: PIL's resize of the RGB picture and of its
  // mirror image, every channel count the resize takes giving the same bytes.
  auto pictures = murmur::features::seed_pictures(db, cfg, 2);
  ASSERT_EQ(pictures.size(), 2u);
  auto rgb = [](const Image& rgba) {
    Image out(rgba.width, rgba.height, 3);
    for (size_t i = 0; i < size_t(rgba.width) * rgba.height; ++i)
      for (int c = 0; c < 3; ++c) out.pixels[i * 3 + c] = rgba.pixels[i * 4 + c];
    return out;
  };
  EXPECT_EQ(pictures[0].pixels, murmur::features::resize_bilinear_pil(rgb(im), 224, 224).pixels);
  EXPECT_EQ(pictures[1].pixels, murmur::features::resize_bilinear_pil(rgb(flipped), 224, 224).pixels);
  Image small4 = murmur::features::resize_bilinear_pil(flipped, 224, 224);
  EXPECT_EQ(rgb(small4).pixels, pictures[1].pixels);
  EXPECT_EQ(murmur::features::seed_pictures(db, cfg, 1).size(), 1u);
  // Rows shared out over threads, in any order: the same bytes.
  auto backwards_on_threads = [](size_t n, const std::function<void(size_t)>& body) {
    std::vector<std::thread> pool;
    for (size_t t = 0; t < 3; ++t)
      pool.emplace_back([&, t] {
        for (size_t i = n; i-- > 0;)
          if (i % 3 == t) body(i);
      });
    for (auto& th : pool) th.join();
  };
  auto shared = murmur::features::seed_pictures(db, cfg, 2, backwards_on_threads);
  EXPECT_EQ(shared[0].pixels, pictures[0].pixels);
  EXPECT_EQ(shared[1].pixels, pictures[1].pixels);
  EXPECT_THROW(murmur::features::seed_pictures(db, cfg, 3), murmur::Error);
}

// Short recordings and few-band crops are enlarged >= 3x both ways: matplotlib 3.10 resamples
// the data before colouring. Goldens from Debian's matplotlib with interpolation_stage='data'
// (tools/make_seed_image_golden.py): the real recording cut to 1, 2, 5 and 10 s (crop included),
// a 3-band matrix (nearest) and an exactly-3x enlargement (Hanning on the data).
TEST(SeedImage, DataStageMatchesMatplotlib) {
  const nlohmann::json m = manifest();
  ASSERT_GE(m["data_stage"].size(), 6u);
  SeedImageConfig cfg;
  for (const auto& c : m["data_stage"]) {
    const std::string name = c["name"];
    Matrix db = read_matrix(murmur::test::data_path("seed_image/" + c["matrix"].get<std::string>()), c["rows"], c["cols"]);
    Image ours = c["crop"].get<bool>() ? murmur::features::render_seed_image(db, cfg)
                                       : murmur::features::imshow_viridis(db, c["width"], c["height"]);
    if (c["crop"].get<bool>()) EXPECT_EQ(murmur::features::seed_crop_top(db, cfg), c["crop_top"].get<int>()) << name;
    Image mpl = murmur::features::read_png(murmur::test::data_path("seed_image/" + c["png"].get<std::string>()));
    ASSERT_EQ(mpl.channels, 4) << name;
    Diff d = diff(ours, mpl, 4);
    // The same tolerance as the reference PNGs (1.2/255 mean).
    EXPECT_LT(d.mean, 1.2) << name << ": max " << d.max << ", exact " << d.exact;
    std::cout << name << ": mean " << d.mean << ", max " << d.max << ", exact " << d.exact << "\n";
  }
}

TEST(SeedImage, RejectsWhatItDoesNotEmulate) {
  EXPECT_THROW(murmur::features::imshow_viridis(Matrix(), 1500, 600), murmur::Error);
  EXPECT_THROW(murmur::features::image_to_input(Image(10, 10, 1), SeedImageConfig{}), murmur::Error);
  // A constant matrix is drawn in the lowest colour (matplotlib's Normalize with vmin == vmax).
  Image flat = murmur::features::imshow_viridis(Matrix(4, 800, -20.f), 1500, 600);
  EXPECT_EQ(flat.at(700, 300, 0), uint8_t(0.267004 * 255));
  EXPECT_EQ(flat.at(700, 300, 2), uint8_t(0.329415 * 255));
  EXPECT_EQ(flat.at(700, 300, 3), 255);
}

TEST(SeedImage, ReferencePngsGiveGoldenInputStatistics) {
  MURMUR_REQUIRE_SHARED();
  const std::string ref = murmur::test::shared_dir() + "/reference";
  auto golden = nlohmann::json::parse(murmur::util::read_file(ref + "/golden.json"));
  SeedImageConfig cfg;
  ASSERT_FALSE(golden["images"].empty());
  for (auto& [file, g] : golden["images"].items()) {
    Image im = murmur::features::read_png(ref + "/seed_spectrograms/" + file);
    auto [mean, sd] = mean_std(murmur::features::image_to_input(im, cfg));
    EXPECT_NEAR(mean, g["input_mean"].get<double>(), 1e-3) << file;
    EXPECT_NEAR(sd, g["input_std"].get<double>(), 1e-3) << file;
  }
}

// End to end from the recordings: WAV -> audio::load (22,050 Hz) -> log_mel -> render, against
// the reference's PNGs. Target: mean |diff| <= 1.2 / 255 at full size and at 224x224.
TEST(SeedImage, WavsReproduceReferencePngs) {
  MURMUR_REQUIRE_SHARED();
  MURMUR_REQUIRE_BMDHS();
  const std::string ref = murmur::test::shared_dir() + "/reference";
  auto golden = nlohmann::json::parse(murmur::util::read_file(ref + "/golden.json"));
  SeedImageConfig cfg;
  murmur::audio::LoadConfig load;
  load.target_rate_hz = 22050;
  for (auto& [file, g] : golden["images"].items()) {
    const std::string name = file.substr(0, file.size() - 4);
    auto audio = murmur::audio::load(murmur::test::bmdhs_dir() + "/train/" + name + ".wav", load);
    Matrix db = murmur::features::log_mel(audio.samples, murmur::features::LogMelConfig{});
    Image ours = murmur::features::render_seed_image(db, cfg);
    Image theirs = murmur::features::read_png(ref + "/seed_spectrograms/" + file);
    Diff full = diff(ours, theirs);
    Image ours_rgb(ours.width, ours.height, 3), theirs_rgb(theirs.width, theirs.height, 3);
    for (size_t i = 0; i < size_t(ours.width) * ours.height; ++i)
      for (int c = 0; c < 3; ++c) {
        ours_rgb.pixels[i * 3 + c] = ours.pixels[i * 4 + c];
        theirs_rgb.pixels[i * 3 + c] = theirs.pixels[i * theirs.channels + c];
      }
    Diff small = diff(murmur::features::resize_bilinear_pil(ours_rgb, 224, 224),
                      murmur::features::resize_bilinear_pil(theirs_rgb, 224, 224));
    auto [mean, sd] = mean_std(murmur::features::seed_input(db, cfg, false));
    std::printf("[ parity ] %s: crop top %d, full mean %.4f max %d, 224 mean %.4f max %d, "
                "input mean %.6f (golden %.6f) std %.6f (golden %.6f)\n",
                name.c_str(), murmur::features::seed_crop_top(db, cfg), full.mean, full.max, small.mean,
                small.max, mean, g["input_mean"].get<double>(), sd, g["input_std"].get<double>());
    EXPECT_LE(full.mean, 1.2) << name;  // measured: <= 0.0001
    EXPECT_LE(small.mean, 1.2) << name;
    EXPECT_NEAR(mean, g["input_mean"].get<double>(), 1e-3) << name;
    EXPECT_NEAR(sd, g["input_std"].get<double>(), 1e-3) << name;
  }
}

TEST(SeedImage, ValidateNamesTheSetKey) {
  SeedImageConfig cfg;
  cfg.input_size_px = 0;
  try {
    cfg.validate();
    FAIL() << "input_size_px 0 accepted";
  } catch (const murmur::Error& e) {
    EXPECT_EQ(std::string(e.what()), "image.input_size_px: must be in [1, 4096] (got 0)");
  }
}
