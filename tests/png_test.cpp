// PNG files: round trips for every channel count, the reference's PNGs, and bad files.
#include "features/png.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "test_util.h"
#include "util/error.h"
#include "util/fs.h"

using murmur::features::Image;

namespace {

Image pattern(int w, int h, int ch) {
  Image im(w, h, ch);
  for (size_t i = 0; i < im.pixels.size(); ++i) im.pixels[i] = uint8_t((i * 37 + i / 7) % 256);
  return im;
}

}  // namespace

TEST(Png, RoundTripsEveryChannelCount) {
  const std::string dir = murmur::test::temp_dir("png_roundtrip");
  for (int ch = 1; ch <= 4; ++ch) {
    Image im = pattern(37, 11, ch);
    const std::string path = dir + "/sub/im" + std::to_string(ch) + ".png";  // parent is created
    murmur::features::write_png(path, im);
    Image back = murmur::features::read_png(path);
    EXPECT_EQ(back.width, 37);
    EXPECT_EQ(back.height, 11);
    EXPECT_EQ(back.channels, ch);
    EXPECT_EQ(back.pixels, im.pixels) << ch << " channels";
  }
  // Only the final files are left: the temporary file was renamed.
  int n = 0;
  for (auto& e : std::filesystem::directory_iterator(dir + "/sub")) n += e.is_regular_file();
  EXPECT_EQ(n, 4);
  std::filesystem::remove_all(dir);
}

TEST(Png, ReadsTheReferencePictures) {
  MURMUR_REQUIRE_SHARED();
  Image im = murmur::features::read_png(murmur::test::shared_dir() + "/reference/seed_spectrograms/AS_005_sit_Aor.png");
  EXPECT_EQ(im.width, 1500);
  EXPECT_EQ(im.height, 600);
  EXPECT_EQ(im.channels, 4);
  EXPECT_EQ(im.at(0, 0, 3), 255);
}

TEST(Png, BadFilesThrowNamingTheFile) {
  const std::string dir = murmur::test::temp_dir("png_bad");
  auto expect_error = [](const std::string& path, const std::string& what) {
    try {
      murmur::features::read_png(path);
      ADD_FAILURE() << what << ": no error for " << path;
    } catch (const murmur::Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind(path, 0), 0u) << e.what();
    }
  };
  expect_error(dir + "/missing.png", "missing");
  murmur::util::write_file_atomic(dir + "/text.png", "not a png at all");
  expect_error(dir + "/text.png", "not a PNG");
  murmur::features::write_png(dir + "/good.png", pattern(64, 64, 3));
  std::string bytes = murmur::util::read_file(dir + "/good.png");
  murmur::util::write_file_atomic(dir + "/cut.png", bytes.substr(0, bytes.size() / 2));
  expect_error(dir + "/cut.png", "truncated");
  Image bad(4, 4, 3);
  bad.pixels.pop_back();
  EXPECT_THROW(murmur::features::write_png(dir + "/bad.png", bad), murmur::Error);
  EXPECT_THROW(murmur::features::write_png(dir + "/bad.png", Image(4, 4, 5)), murmur::Error);
  EXPECT_FALSE(std::filesystem::exists(dir + "/bad.png"));
  std::filesystem::remove_all(dir);
}

TEST(Png, EncodeInMemoryMatchesTheWrittenFile) {
  std::string dir = murmur::test::temp_dir("png_encode");
  Image im = pattern(40, 30, 3);
  murmur::features::write_png(dir + "/a.png", im);
  std::string bytes = murmur::features::encode_png(im);
  EXPECT_EQ(bytes, murmur::util::read_file(dir + "/a.png"));
  std::string fast = murmur::features::encode_png(im, 1);
  murmur::util::write_file_atomic(dir + "/fast.png", fast);
  EXPECT_EQ(murmur::features::read_png(dir + "/fast.png").pixels, im.pixels);
  EXPECT_THROW(murmur::features::encode_png(Image(4, 4, 5)), murmur::Error);
  EXPECT_THROW(murmur::features::encode_png(im, 10), murmur::Error);
  std::filesystem::remove_all(dir);
}
