#include "features/seed_image.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "features/colormap.h"
#include "util/check.h"
#include "util/error.h"

namespace murmur::features {

namespace {

// ---- Agg (matplotlib's extern/agg24-svn) constants and rounding helpers ----
constexpr int kSubpixelShift = 8;  // image_subpixel_shift: positions in 1/256 pixel
constexpr int kSubpixelScale = 1 << kSubpixelShift;
constexpr int kSubpixelMask = kSubpixelScale - 1;
constexpr int kFilterShift = 14;  // image_filter_shift: weights in 1/16384
constexpr int kFilterScale = 1 << kFilterShift;

int agg_iround(double v) { return int(v < 0.0 ? v - 0.5 : v + 0.5); }
int agg_uround(double v) { return int(unsigned(v + 0.5)); }
int floor_shift(int v) { return v >= 0 ? v >> kSubpixelShift : -((-v + kSubpixelMask) >> kSubpixelShift); }

// agg::image_filter_lut::calculate(image_filter_hanning(), true) as matplotlib builds it
// (without MPL_FIX_AGG_IMAGE_FILTER_LUT_BUGS: the table is centred on index 256 while the span
// generator reads it at 255 - fraction, a 1/256-pixel offset that the reference PNGs carry;
// the "fixed" table was measured to differ from them in 10% of the pixels).
std::vector<int> hanning_lut() {
  const int diameter = 2;  // uceil(radius 1) * 2
  std::vector<int> w(diameter << kSubpixelShift, 0);
  auto weight = [](double x) { return agg_iround((0.5 + 0.5 * std::cos(M_PI * x)) * kFilterScale); };
  const int pivot = diameter << (kSubpixelShift - 1);
  for (int i = 0; i < pivot; ++i) w[pivot + i] = w[pivot - i] = weight(double(i) / kSubpixelScale);
  w[0] = w[w.size() - 1];
  // image_filter_lut::normalize(): every subpixel phase sums to exactly kFilterScale.
  int flip = 1;
  for (int i = 0; i < kSubpixelScale; ++i) {
    for (;;) {
      int sum = 0;
      for (int j = 0; j < diameter; ++j) sum += w[j * kSubpixelScale + i];
      if (sum == kFilterScale) break;
      const double k = double(kFilterScale) / double(sum);
      sum = 0;
      for (int j = 0; j < diameter; ++j) sum += w[j * kSubpixelScale + i] = agg_iround(w[j * kSubpixelScale + i] * k);
      sum -= kFilterScale;
      const int inc = sum > 0 ? -1 : 1;
      for (int j = 0; j < diameter && sum; ++j) {
        flip ^= 1;
        const int idx = flip ? diameter / 2 + j / 2 : diameter / 2 - j / 2;
        if (w[idx * kSubpixelScale + i] < kFilterScale) {
          w[idx * kSubpixelScale + i] += inc;
          sum += inc;
        }
      }
    }
  }
  // The tail of normalize(): mirror the corrected half again.
  for (int i = 0; i < pivot; ++i) w[pivot + i] = w[pivot - i];
  w[0] = w[w.size() - 1];
  return w;
}

// agg::wrap_mode_reflect: ... 2 1 0 | 0 1 2 ... n-1 | n-1 n-2 ...
int reflect(int v, int n) {
  const unsigned size2 = unsigned(n) * 2;
  const unsigned add = size2 * (0x3FFFFFFFu / size2);
  const unsigned m = (unsigned(v) + add) % size2;
  return int(m >= unsigned(n) ? size2 - m - 1 : m);
}

// The source taps and filter weights of one output row or column.
struct Taps {
  std::vector<int> start;   // [n_out + 1] offsets into index / weight
  std::vector<int> index;   // source row or column
  std::vector<int> weight;  // Hanning LUT value (1/16384), or kFilterScale for nearest
};

// One axis of agg::span_image_resample_rgba_affine for a pure scaling (no shear), as
// matplotlib's _image.resample drives it: pixel centres mapped through the inverse affine,
// rounded to 1/256 pixel, stepped along a span by dda2_line_interpolator (rows are one
// span each), then the filter footprint scaled by the reduction factor (>= 1).
Taps axis_taps(int n_in, int n_out, bool along_span, bool nearest, const std::vector<int>& lut) {
  const double inv = double(n_in) / double(n_out);  // output pixel -> input units
  Taps t;
  t.start.reserve(n_out + 1);
  std::vector<int> pos(n_out);
  if (along_span) {
    // span_interpolator_linear::begin(0.5, y, len) (without MPL_FIX_AGG_INTERPOLATION_ENDPOINT_BUG:
    // the end point is x + len, one pixel past the last centre), then dda2_line_interpolator.
    const int len = n_out;
    const int x1 = agg_iround(0.5 * inv * kSubpixelScale);
    const int x2 = agg_iround((0.5 + len) * inv * kSubpixelScale);
    const int cnt = len <= 0 ? 1 : len;
    int lft = (x2 - x1) / cnt, rem = (x2 - x1) % cnt, mod = rem, y = x1;
    if (mod <= 0) { mod += len; rem += len; --lft; }
    mod -= len;
    for (int i = 0; i < n_out; ++i) {
      pos[i] = y;
      mod += rem;
      y += lft;
      if (mod > 0) { mod -= cnt; ++y; }
    }
  } else {
    for (int i = 0; i < n_out; ++i) pos[i] = agg_iround((i + 0.5) * inv * kSubpixelScale);
  }
  if (nearest) {
    for (int i = 0; i < n_out; ++i) {
      t.start.push_back(int(t.index.size()));
      t.index.push_back(std::clamp(floor_shift(pos[i]), 0, n_in - 1));
      t.weight.push_back(kFilterScale);
    }
    t.start.push_back(int(t.index.size()));
    return t;
  }
  // span_image_resample_affine::prepare() for this axis.
  double scale = std::max(inv, 1.0);
  scale = std::min(scale, 200.0);
  const int r = agg_uround(scale * kSubpixelScale);
  const int r_inv = agg_uround(1.0 / scale * kSubpixelScale);
  const int diameter = int(lut.size()) >> kSubpixelShift;
  const int filter_scale = diameter << kSubpixelShift;
  const int radius = (diameter * r) >> 1;
  for (int i = 0; i < n_out; ++i) {
    t.start.push_back(int(t.index.size()));
    const int p = pos[i] + kSubpixelScale / 2 - radius;
    const int lr = floor_shift(p);
    int hr = ((kSubpixelMask - (p & kSubpixelMask)) * r_inv) >> kSubpixelShift;
    for (int k = 0; hr < filter_scale; ++k, hr += r_inv) {
      t.index.push_back(reflect(lr + k, n_in));
      t.weight.push_back(lut[hr]);
    }
  }
  t.start.push_back(int(t.index.size()));
  return t;
}

void check_matrix(const Matrix& m, const char* what) {
  if (m.rows <= 0 || m.cols <= 0 || m.data.size() != size_t(m.rows) * m.cols)
    throw Error(std::string(what) + ": bad matrix " + std::to_string(m.rows) + "x" +
                std::to_string(m.cols) + " with " + std::to_string(m.data.size()) + " values");
}

}  // namespace

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

namespace {

// imshow_viridis into `channels` (3 or 4) channels, optionally mirrored left-right.
Image imshow_viridis_impl(const Matrix& m, int width_px, int height_px, int channels, bool mirror) {
  check_matrix(m, "imshow_viridis");
  if (width_px < 1 || height_px < 1)
    throw Error("imshow_viridis: bad picture size " + std::to_string(width_px) + "x" + std::to_string(height_px));
  // matplotlib 3.10 (_make_image / _resample with interpolation 'auto'): RGBA-stage
  // resampling when the picture enlarges the data by less than 3x in either direction;
  // 'nearest' when each direction is enlarged by more than 3x or exactly 1x or 2x, else Hanning.
  const double fx = double(width_px) / m.cols, fy = double(height_px) / m.rows;
  if (fx >= 3 && fy >= 3)
    throw Error("imshow_viridis: " + std::to_string(m.rows) + "x" + std::to_string(m.cols) + " drawn at " +
                std::to_string(width_px) + "x" + std::to_string(height_px) +
                " enlarges >= 3x both ways; matplotlib then resamples the data before colouring, "
                "which is not emulated");
  auto nearest_axis = [](double f) { return f > 3 || f == 1 || f == 2; };
  const bool nearest = nearest_axis(fx) && nearest_axis(fy);

  // Normalize(vmin=min, vmax=max) in float32, then Colormap.__call__ -> double RGB per cell.
  const auto [lo_it, hi_it] = std::minmax_element(m.data.begin(), m.data.end());
  const float vmin = *lo_it, vmax = *hi_it;
  const auto& lut = viridis_lut();
  std::vector<double> cell(m.data.size() * 3);
  for (size_t i = 0; i < m.data.size(); ++i) {
    const float t = vmin == vmax ? 0.f : (m.data[i] - vmin) / (vmax - vmin);
    const auto& rgb = lut[colormap_index(t)];
    std::copy(rgb.begin(), rgb.end(), cell.begin() + i * 3);
  }

  const std::vector<int> filter = hanning_lut();
  const Taps tx = axis_taps(m.cols, width_px, /*along_span=*/true, nearest, filter);
  const Taps ty = axis_taps(m.rows, height_px, /*along_span=*/false, nearest, filter);

  Image out(width_px, height_px, channels, 255);
  auto store = [](uint8_t* px, const double* fg, int total) {
    for (int c = 0; c < 3; ++c) {
      double v = total ? fg[c] / total : 0.0;
      v = std::clamp(v, 0.0, 1.0);
      px[c] = uint8_t(v * 255.0);  // ScalarMappable.to_rgba(bytes=True) truncates
    }
  };
  const bool two_by_two = !nearest && tx.index.size() == size_t(2) * width_px &&
                          ty.index.size() == size_t(2) * height_px;
  for (int j = 0; j < height_px; ++j) {
    // Agg's output row j is drawn j rows above the bottom of the figure.
    uint8_t* row = &out.pixels[size_t(height_px - 1 - j) * width_px * channels];
    if (two_by_two) {
      // The enlarging case (the seed pictures): 2x2 taps. Same sums in the same order as the
      // general loop below, unrolled.
      const int wy0 = ty.weight[2 * j], wy1 = ty.weight[2 * j + 1];
      const double* src0 = &cell[size_t(ty.index[2 * j]) * m.cols * 3];
      const double* src1 = &cell[size_t(ty.index[2 * j + 1]) * m.cols * 3];
      for (int i = 0; i < width_px; ++i) {
        const int wx0 = tx.weight[2 * i], wx1 = tx.weight[2 * i + 1];
        const int w00 = (wy0 * wx0 + kFilterScale / 2) >> kFilterShift;
        const int w01 = (wy0 * wx1 + kFilterScale / 2) >> kFilterShift;
        const int w10 = (wy1 * wx0 + kFilterScale / 2) >> kFilterShift;
        const int w11 = (wy1 * wx1 + kFilterScale / 2) >> kFilterShift;
        const size_t i0 = size_t(tx.index[2 * i]) * 3, i1 = size_t(tx.index[2 * i + 1]) * 3;
        double fg[3];
        for (int c = 0; c < 3; ++c)
          fg[c] = src0[i0 + c] * w00 + src0[i1 + c] * w01 + src1[i0 + c] * w10 + src1[i1 + c] * w11;
        store(row + (mirror ? width_px - 1 - i : i) * channels, fg, w00 + w01 + w10 + w11);
      }
      continue;
    }
    for (int i = 0; i < width_px; ++i) {
      double fg[3] = {0, 0, 0};
      int total = 0;
      for (int a = ty.start[j]; a < ty.start[j + 1]; ++a) {
        const int wy = ty.weight[a];
        const double* src = &cell[size_t(ty.index[a]) * m.cols * 3];
        for (int b = tx.start[i]; b < tx.start[i + 1]; ++b) {
          const int w = (wy * tx.weight[b] + kFilterScale / 2) >> kFilterShift;
          const double* c = src + size_t(tx.index[b]) * 3;
          fg[0] += c[0] * w;
          fg[1] += c[1] * w;
          fg[2] += c[2] * w;
          total += w;
        }
      }
      store(row + (mirror ? width_px - 1 - i : i) * channels, fg, total);
    }
  }
  return out;
}

}  // namespace

Image imshow_viridis(const Matrix& m, int width_px, int height_px) {
  return imshow_viridis_impl(m, width_px, height_px, 4, /*mirror=*/false);
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

// Resamples the first `ch` channels of an image with `src_ch` interleaved channels.
Image resize_pil_channels(const uint8_t* pixels, int in_w, int in_h, int src_ch, int ch, int width,
                          int height) {
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
  for (int y = y_first; y < y_last; ++y) {
    const uint8_t* src = pixels + size_t(y) * in_w * src_ch;
    uint8_t* dst = &tmp.pixels[size_t(y - y_first) * tmp_w * ch];
    if (!need_h) {
      for (int x = 0; x < in_w; ++x)
        for (int c = 0; c < ch; ++c) dst[x * ch + c] = src[x * src_ch + c];
      continue;
    }
    for (int x = 0; x < width; ++x) {
      const int xmin = hc.bounds[x * 2], n = hc.bounds[x * 2 + 1];
      const int* k = &hc.k[size_t(x) * hc.ksize];
      const uint8_t* p = src + size_t(xmin) * src_ch;
      int32_t ss[4] = {1 << (kPilPrecisionBits - 1), 1 << (kPilPrecisionBits - 1),
                       1 << (kPilPrecisionBits - 1), 1 << (kPilPrecisionBits - 1)};
      for (int t = 0; t < n; ++t)
        for (int c = 0; c < ch; ++c) ss[c] += int32_t(p[t * src_ch + c]) * k[t];
      for (int c = 0; c < ch; ++c) dst[x * ch + c] = pil_clip8(ss[c]);
    }
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
  const Image small = resize_pil_channels(image.pixels.data(), image.width, image.height,
                                          image.channels, 3, s, s);
  std::vector<float> out(size_t(3) * s * s);
  for (int c = 0; c < 3; ++c) {
    // torchvision ToTensor (float32 / 255) then Normalize (sub mean, div std) in float32.
    float table[256];
    for (int v = 0; v < 256; ++v) table[v] = (float(v) / 255.0f - cfg.mean[c]) / cfg.std[c];
    float* plane = &out[size_t(c) * s * s];
    for (size_t i = 0; i < size_t(s) * s; ++i) plane[i] = table[small.pixels[i * 3 + c]];
  }
  return out;
}

std::vector<float> seed_input(const Matrix& db, const SeedImageConfig& cfg, bool time_reversed) {
  cfg.validate();
  // Same pixels as image_to_input(flip?(render_seed_image(db))), drawn as RGB and already
  // mirrored so no extra 1500x600 copies are made.
  const Image rgb = imshow_viridis_impl(seed_crop(db, cfg), cfg.width_px, cfg.height_px, 3, time_reversed);
  return image_to_input(rgb, cfg);
}

}  // namespace murmur::features
