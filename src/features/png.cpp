#include "features/png.h"

#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <memory>

#include "util/error.h"
#include "util/fs.h"

namespace murmur::features {

namespace {

struct FileCloser {
  void operator()(FILE* f) const { if (f) std::fclose(f); }
};
using File = std::unique_ptr<FILE, FileCloser>;

// libpng reports through these; the message is kept and longjmp returns to the caller's setjmp.
struct PngErrorState {
  std::string message;
};

void on_error(png_structp png, png_const_charp msg) {
  auto* state = static_cast<PngErrorState*>(png_get_error_ptr(png));
  if (state) state->message = msg;
  png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {}

}  // namespace

Image read_png(const std::string& path) {
  File file(std::fopen(path.c_str(), "rb"));
  if (!file) throw Error(path + ": cannot open for reading");
  unsigned char sig[8];
  if (std::fread(sig, 1, 8, file.get()) != 8 || png_sig_cmp(sig, 0, 8) != 0)
    throw Error(path + ": not a PNG file");

  PngErrorState state;
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &state, on_error, on_warning);
  if (!png) throw Error(path + ": libpng could not allocate a reader");
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    throw Error(path + ": libpng could not allocate a reader");
  }
  Image image;
  std::vector<png_bytep> rows;
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    throw Error(path + ": corrupt PNG (" + state.message + ")");
  }
  png_init_io(png, file.get());
  png_set_sig_bytes(png, 8);
  png_read_info(png, info);
  const int color_type = png_get_color_type(png, info);
  const int bit_depth = png_get_bit_depth(png, info);
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
  if (bit_depth == 16) png_set_strip_16(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);

  image.width = int(png_get_image_width(png, info));
  image.height = int(png_get_image_height(png, info));
  image.channels = int(png_get_channels(png, info));
  const size_t rowbytes = png_get_rowbytes(png, info);
  if (rowbytes != size_t(image.width) * image.channels) {
    png_destroy_read_struct(&png, &info, nullptr);
    throw Error(path + ": unexpected PNG row layout");
  }
  image.pixels.resize(rowbytes * image.height);
  rows.resize(image.height);
  for (int y = 0; y < image.height; ++y) rows[y] = image.pixels.data() + rowbytes * y;
  png_read_image(png, rows.data());
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  return image;
}

namespace {

void append_to_string(png_structp png, png_bytep data, png_size_t n) {
  static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<const char*>(data), n);
}

void flush_nothing(png_structp) {}

}  // namespace

std::string encode_png(const Image& image, int compression_level) {
  static const int kColorTypes[] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                    PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGBA};
  if (image.width <= 0 || image.height <= 0 || image.channels < 1 || image.channels > 4 ||
      image.pixels.size() != size_t(image.width) * image.height * image.channels)
    throw Error("cannot write an image of " + std::to_string(image.width) + "x" +
                std::to_string(image.height) + "x" + std::to_string(image.channels) + " with " +
                std::to_string(image.pixels.size()) + " bytes");
  if (compression_level < 0 || compression_level > 9)
    throw Error("PNG compression level " + std::to_string(compression_level) + " must be in [0, 9]");
  std::string out;
  PngErrorState state;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &state, on_error, on_warning);
  if (!png) throw Error("libpng could not allocate a writer");
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_write_struct(&png, nullptr);
    throw Error("libpng could not allocate a writer");
  }
  std::vector<png_bytep> rows(image.height);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    throw Error("writing PNG failed (" + state.message + ")");
  }
  png_set_write_fn(png, &out, append_to_string, flush_nothing);
  png_set_compression_level(png, compression_level);
  png_set_IHDR(png, info, png_uint_32(image.width), png_uint_32(image.height), 8,
               kColorTypes[image.channels], PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  const size_t rowbytes = size_t(image.width) * image.channels;
  for (int y = 0; y < image.height; ++y)
    rows[y] = const_cast<png_bytep>(image.pixels.data() + rowbytes * y);
  png_write_image(png, rows.data());
  png_write_end(png, info);
  png_destroy_write_struct(&png, &info);
  return out;
}

void write_png(const std::string& path, const Image& image) {
  std::string bytes;
  try {
    // Level 6 is zlib's default, which is what files written before encode_png existed used.
    bytes = encode_png(image, 6);
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
  util::write_file_atomic(path, bytes);
}

}  // namespace murmur::features
