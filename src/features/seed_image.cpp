// The seed picture's crop, config, PIL resize and network input (drawing: seed_image_draw.cpp).
#include "features/seed_image.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "features/seed_image_internal.h"
#include "util/check.h"
#include "util/error.h"

namespace murmur::features {

using detail::check_matrix;

void SeedImageConfig::validate(const std::string& section) const {
  auto key = [&](const char* field) { return util::setting_key(section, field); };
  using util::check_setting;
  check_setting(width_px >= 1 && width_px <= 1 << 15, key("width_px"), "must be in [1, 32768]", width_px);
  check_setting(height_px >= 1 && height_px <= 1 << 15, key("height_px"), "must be in [1, 32768]", height_px);
  check_setting(crop_threshold_db > 0 && std::isfinite(crop_threshold_db), key("crop_threshold_db"),
                "must be a positive number", crop_threshold_db);
  check_setting(crop_margin_bins >= 0, key("crop_margin_bins"), "must be >= 0", crop_margin_bins);
  check_setting(crop_default_top >= 0, key("crop_default_top"), "must be >= 0", crop_default_top);
  check_setting(input_size_px >= 1 && input_size_px <= 4096, key("input_size_px"), "must be in [1, 4096]",
                input_size_px);
  for (int c = 0; c < 3; ++c) {
    check_setting(std::isfinite(mean[c]), key("mean"), "must be finite", mean[c]);
    check_setting(std[c] > 0 && std::isfinite(std[c]), key("std"), "must be positive", std[c]);
  }
}

void to_json(nlohmann::json& j, const SeedImageConfig& c) {
  j = nlohmann::json{{"width_px", c.width_px},
                     {"height_px", c.height_px},
                     {"crop_threshold_db", c.crop_threshold_db},
                     {"crop_margin_bins", c.crop_margin_bins},
                     {"crop_default_top", c.crop_default_top},
                     {"input_size_px", c.input_size_px},
                     {"mean", c.mean},
                     {"std", c.std}};
}

void from_json(const nlohmann::json& j, SeedImageConfig& c) {
  SeedImageConfig d;
  c.width_px = j.value("width_px", d.width_px);
  c.height_px = j.value("height_px", d.height_px);
  c.crop_threshold_db = j.value("crop_threshold_db", d.crop_threshold_db);
  c.crop_margin_bins = j.value("crop_margin_bins", d.crop_margin_bins);
  c.crop_default_top = j.value("crop_default_top", d.crop_default_top);
  c.input_size_px = j.value("input_size_px", d.input_size_px);
  c.mean = j.value("mean", d.mean);
  c.std = j.value("std", d.std);
}

int seed_crop_top(const Matrix& db, const SeedImageConfig& cfg) {
  check_matrix(db, "seed_crop_top");
  std::vector<double> means(db.rows);
  for (int r = 0; r < db.rows; ++r) {
    double s = 0;
    for (int c = 0; c < db.cols; ++c) s += db.at(r, c);
    means[r] = s / db.cols;
  }
  double max_mean = -INFINITY;
  for (double m : means)
    if (m > max_mean) max_mean = m;
  const double threshold = max_mean - cfg.crop_threshold_db;
  int highest = -1;
  for (int r = 0; r < db.rows; ++r)
    if (means[r] > threshold) highest = r;
  const int top = highest < 0 ? cfg.crop_default_top : highest + cfg.crop_margin_bins;
  return std::min(top, db.rows - 1);
}

Matrix seed_crop(const Matrix& db, const SeedImageConfig& cfg) {
  const int top = seed_crop_top(db, cfg);
  Matrix out(top + 1, db.cols);
  std::copy(db.data.begin(), db.data.begin() + size_t(top + 1) * db.cols, out.data.begin());
  return out;
}

Image render_seed_image(const Matrix& db, const SeedImageConfig& cfg) {
  cfg.validate();
  return imshow_viridis(seed_crop(db, cfg), cfg.width_px, cfg.height_px);
}

Image flip_left_right(const Image& image) {
  Image out(image.width, image.height, image.channels);
  const int ch = image.channels;
  for (int y = 0; y < image.height; ++y)
    for (int x = 0; x < image.width; ++x)
      std::copy_n(&image.pixels[(size_t(y) * image.width + x) * ch], ch,
                  &out.pixels[(size_t(y) * image.width + (image.width - 1 - x)) * ch]);
  return out;
}

namespace {

// Pillow's Resample.c: precompute_coeffs with the bilinear (triangle) filter, support
// scaled by the reduction factor, then normalize_coeffs_8bpc to 22-bit fixed point.
constexpr int kPilPrecisionBits = 32 - 8 - 2;

struct PilCoeffs {
  int ksize = 0;
  std::vector<int> bounds;  // [out * 2]: xmin, count
  std::vector<int> k;       // [out * ksize]
};

PilCoeffs pil_coeffs(int in_size, int out_size) {
  const double scale = double(in_size) / out_size;
  const double filterscale = std::max(scale, 1.0);
  const double support = 1.0 * filterscale;
  PilCoeffs c;
  c.ksize = int(std::ceil(support)) * 2 + 1;
  c.bounds.resize(size_t(out_size) * 2);
  c.k.assign(size_t(out_size) * c.ksize, 0);
  std::vector<double> kk(c.ksize);
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    int xmin = int(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = int(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      double d = std::fabs((x + xmin - center + 0.5) * ss);
      const double w = d < 1.0 ? 1.0 - d : 0.0;
      kk[x] = w;
      ww += w;
    }
    for (int x = 0; x < c.ksize; ++x) {
      double v = x < xmax ? (ww != 0.0 ? kk[x] / ww : kk[x]) : 0.0;
      c.k[size_t(xx) * c.ksize + x] =
          v < 0 ? int(-0.5 + v * (1 << kPilPrecisionBits)) : int(0.5 + v * (1 << kPilPrecisionBits));
    }
    c.bounds[xx * 2] = xmin;
    c.bounds[xx * 2 + 1] = xmax;
  }
  return c;
}

uint8_t pil_clip8(int32_t v) {
  const int32_t s = v >> kPilPrecisionBits;
  return uint8_t(s < 0 ? 0 : s > 255 ? 255 : s);
}

// Pillow's horizontal pass over one row: the first kCh of kSrc interleaved channels, read
// mirrored left-right if asked (the time-reversed twin without a flipped copy). Integer sums, so
// the order of the taps does not change a bit.
template <int kSrc, int kCh>
void horizontal_row(const uint8_t* src, int in_w, bool mirror, const PilCoeffs& hc, int width, uint8_t* dst) {
  const int step = mirror ? -kSrc : kSrc;
  for (int x = 0; x < width; ++x) {
    const int xmin = hc.bounds[x * 2], n = hc.bounds[x * 2 + 1];
    const int* k = &hc.k[size_t(x) * hc.ksize];
    const uint8_t* p = src + size_t(mirror ? in_w - 1 - xmin : xmin) * kSrc;
    int32_t ss[kCh];
    for (int c = 0; c < kCh; ++c) ss[c] = 1 << (kPilPrecisionBits - 1);
    for (int t = 0; t < n; ++t, p += step)
      for (int c = 0; c < kCh; ++c) ss[c] += int32_t(p[c]) * k[t];
    for (int c = 0; c < kCh; ++c) dst[x * kCh + c] = pil_clip8(ss[c]);
  }
}

using HorizontalRow = void (*)(const uint8_t*, int, bool, const PilCoeffs&, int, uint8_t*);

HorizontalRow horizontal_row_for(int src_ch, int ch) {
  switch (src_ch * 8 + ch) {
    case 1 * 8 + 1: return horizontal_row<1, 1>;
    case 2 * 8 + 2: return horizontal_row<2, 2>;
    case 3 * 8 + 3: return horizontal_row<3, 3>;
    case 4 * 8 + 3: return horizontal_row<4, 3>;
    case 4 * 8 + 4: return horizontal_row<4, 4>;
  }
  throw Error("resize_bilinear_pil: cannot take " + std::to_string(ch) + " of " + std::to_string(src_ch) +
              " channels");
}

// Resamples the first `ch` channels of an image with `src_ch` interleaved channels, optionally
// mirrored left-right first; the horizontal pass's rows (the larger pass) through `run` if given.
Image resize_pil_channels(const uint8_t* pixels, int in_w, int in_h, int src_ch, int ch, int width,
                          int height, bool mirror = false, const RowRunner& run = {}) {
  const PilCoeffs hc = pil_coeffs(in_w, width);
  const PilCoeffs vc = pil_coeffs(in_h, height);
  // Pillow runs the horizontal pass first (only on the rows the vertical pass reads), each
  // pass rounding to 8 bits; a pass is skipped when its size is unchanged. Sums fit in int32
  // as in Pillow (weights are >= 0 and add up to 2^22).
  const bool need_h = width != in_w, need_v = height != in_h;
  const int y_first = need_v ? vc.bounds[0] : 0;
  const int y_last = need_v ? vc.bounds[(height - 1) * 2] + vc.bounds[(height - 1) * 2 + 1] : in_h;
  const int tmp_w = need_h ? width : in_w;
  Image tmp(tmp_w, y_last - y_first, ch);
  const HorizontalRow row_pass = horizontal_row_for(src_ch, ch);
  auto pass_row = [&](int y) {
    const uint8_t* src = pixels + size_t(y) * in_w * src_ch;
    uint8_t* dst = &tmp.pixels[size_t(y - y_first) * tmp_w * ch];
    if (need_h) return row_pass(src, in_w, mirror, hc, width, dst);
    for (int x = 0; x < in_w; ++x)
      for (int c = 0; c < ch; ++c) dst[x * ch + c] = src[size_t(mirror ? in_w - 1 - x : x) * src_ch + c];
  };
  if (run) {
    run(size_t(y_last - y_first), [&](size_t k) { pass_row(y_first + int(k)); });
  } else {
    for (int y = y_first; y < y_last; ++y) pass_row(y);
  }
  if (!need_v) return tmp;
  Image out(width, height, ch);
  const int row = width * ch;
  std::vector<int32_t> acc(row);
  for (int y = 0; y < height; ++y) {
    const int ymin = vc.bounds[y * 2] - y_first, n = vc.bounds[y * 2 + 1];
    const int* k = &vc.k[size_t(y) * vc.ksize];
    std::fill(acc.begin(), acc.end(), 1 << (kPilPrecisionBits - 1));
    for (int t = 0; t < n; ++t) {
      const uint8_t* src = &tmp.pixels[size_t(ymin + t) * row];
      const int32_t kt = k[t];
      for (int x = 0; x < row; ++x) acc[x] += int32_t(src[x]) * kt;
    }
    uint8_t* dst = &out.pixels[size_t(y) * row];
    for (int x = 0; x < row; ++x) dst[x] = pil_clip8(acc[x]);
  }
  return out;
}

}  // namespace

Image resize_bilinear_pil(const Image& image, int width, int height) {
  if (image.width < 1 || image.height < 1 || image.channels < 1 || image.channels > 4 ||
      image.pixels.size() != size_t(image.width) * image.height * image.channels)
    throw Error("resize_bilinear_pil: bad image " + std::to_string(image.width) + "x" +
                std::to_string(image.height) + "x" + std::to_string(image.channels));
  if (width < 1 || height < 1)
    throw Error("resize_bilinear_pil: bad size " + std::to_string(width) + "x" + std::to_string(height));
  return resize_pil_channels(image.pixels.data(), image.width, image.height, image.channels,
                             image.channels, width, height);
}

std::vector<float> image_to_input(const Image& image, const SeedImageConfig& cfg) {
  cfg.validate();
  if (image.channels != 3 && image.channels != 4)
    throw Error("image_to_input: expected an RGB or RGBA image, got " + std::to_string(image.channels) +
                " channels");
  if (image.pixels.size() != size_t(image.width) * image.height * image.channels || image.width < 1 ||
      image.height < 1)
    throw Error("image_to_input: bad image " + std::to_string(image.width) + "x" + std::to_string(image.height));
  // PIL's convert('RGB') of RGBA drops alpha without compositing: resample channels 0..2.
  const int s = cfg.input_size_px;
  return normalised_input(resize_pil_channels(image.pixels.data(), image.width, image.height, image.channels, 3, s, s),
                          cfg);
}

std::vector<float> normalised_input(const Image& rgb, const SeedImageConfig& cfg) {
  if (rgb.channels != 3 || rgb.pixels.size() != size_t(rgb.width) * size_t(rgb.height) * 3)
    throw Error("normalised_input: expected an RGB image");
  const size_t n = size_t(rgb.width) * size_t(rgb.height);
  std::vector<float> out(3 * n);
  for (size_t c = 0; c < 3; ++c) {
    // torchvision ToTensor (float32 / 255) then Normalize (sub mean, div std) in float32.
    float table[256];
    for (int v = 0; v < 256; ++v) table[v] = (float(v) / 255.0f - cfg.mean[c]) / cfg.std[c];
    float* plane = &out[c * n];
    for (size_t i = 0; i < n; ++i) plane[i] = table[rgb.pixels[i * 3 + c]];
  }
  return out;
}

std::vector<float> seed_input(const Matrix& db, const SeedImageConfig& cfg, bool time_reversed) {
  cfg.validate();
  // Same pixels as image_to_input(flip?(render_seed_image(db))), drawn as RGB and already
  // mirrored so no extra 1500x600 copies are made.
  const Image rgb = detail::imshow_viridis_impl(seed_crop(db, cfg), cfg.width_px, cfg.height_px, 3, time_reversed);
  return image_to_input(rgb, cfg);
}

std::vector<Image> seed_pictures(const Matrix& db, const SeedImageConfig& cfg, int views, const RowRunner& run) {
  cfg.validate();
  if (views != 1 && views != 2) throw Error("seed_pictures: views must be 1 or 2, got " + std::to_string(views));
  const Image rgb = detail::imshow_viridis_impl(seed_crop(db, cfg), cfg.width_px, cfg.height_px, 3, false, run);
  const int s = cfg.input_size_px;
  std::vector<Image> out;
  for (int v = 0; v < views; ++v)
    out.push_back(resize_pil_channels(rgb.pixels.data(), rgb.width, rgb.height, 3, 3, s, s, /*mirror=*/v == 1,
                                      run));
  return out;
}

}  // namespace murmur::features
