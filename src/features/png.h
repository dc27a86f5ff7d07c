// 8-bit images in memory and as PNG files (libpng).
//
//   murmur::features::Image im = murmur::features::read_png("AS_005_sit_Aor.png");  // 1500x600x4
//   murmur::features::write_png("out/AS_005.png", im);     // atomic: temp file, then rename
//   std::string bytes = murmur::features::encode_png(im, 3);  // in memory (e.g. an HTTP reply)
//
// Reading expands palette and grey images to RGB(A) only as far as needed: grey stays 1
// channel, grey+alpha becomes 2, palette becomes RGB or RGBA, 16-bit samples are cut to 8.
// No gamma or colour-space conversion is applied: the bytes are those of the file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace murmur::features {

// Interleaved 8-bit pixels, top row first: pixels[(y * width + x) * channels + c].
struct Image {
  int width = 0, height = 0, channels = 0;  // channels: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA
  std::vector<uint8_t> pixels;
  Image() = default;
  Image(int w, int h, int c, uint8_t v = 0) : width(w), height(h), channels(c), pixels(size_t(w) * h * c, v) {}
  uint8_t& at(int x, int y, int c) { return pixels[(size_t(y) * width + x) * channels + c]; }
  uint8_t at(int x, int y, int c) const { return pixels[(size_t(y) * width + x) * channels + c]; }
};

// Throws murmur::Error naming the file if it is missing, not a PNG, or corrupt.
Image read_png(const std::string& path);

// The PNG file's bytes; compression_level is zlib's 0..9 (6 = zlib's default). Throws
// murmur::Error on a bad image (size, channels, pixel count) or a bad level.
std::string encode_png(const Image& image, int compression_level = 6);

// encode_png(image, 6) written atomically (util::write_file_atomic); throws murmur::Error
// naming the file on a bad image or I/O error.
void write_png(const std::string& path, const Image& image);

}  // namespace murmur::features
