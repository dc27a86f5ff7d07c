// imshow_viridis: matplotlib's imshow as Agg draws it (Hanning resampling, 1/256-pixel positions,
// 14-bit weights, reflected edges), reproduced exactly.
#include <algorithm>
#include <cmath>
#include <string>

#include "features/colormap.h"
#include "features/seed_image.h"
#include "features/seed_image_internal.h"
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

// matplotlib's data-stage drawing (interpolation_stage 'data', what 3.10's 'auto' picks when a
// picture enlarges the data >= 3x both ways): the float32 data are scaled to [0.1, 0.9],
// resampled (nearest: copied; Hanning: the same taps on the scaled values, clamped to [0, 1]),
// scaled back, normalised by the equally round-tripped min and max, then coloured. Every step
// in float32 as numpy does it (python floats are cast to float32 for the operation).
Image draw_data_stage(const Matrix& m, const Taps& tx, const Taps& ty, int width_px, int height_px, int channels,
                      bool mirror) {
  const auto [lo_it, hi_it] = std::minmax_element(m.data.begin(), m.data.end());
  const float a_min = *lo_it, a_max = *hi_it;
  const bool flat = a_min == a_max;
  const float range = float((double(a_max) - double(a_min)) / 0.8);  // (a_max - a_min) / frac
  const float offset = 0.1f;
  auto scale = [&](float v) { return (flat ? v - a_min : (v - a_min) / range) + offset; };
  auto unscale = [&](float s) { return (flat ? s - offset : (s - offset) * range) + a_min; };
  const float s_vmin = unscale(scale(a_min)), s_vmax = unscale(scale(a_max));
  const float norm = float(double(s_vmax) - double(s_vmin));
  std::vector<float> scaled(m.data.size());
  for (size_t i = 0; i < m.data.size(); ++i) scaled[i] = scale(m.data[i]);
  const auto& lut = viridis_lut();
  Image out(width_px, height_px, channels, 255);
  for (int j = 0; j < height_px; ++j) {
    uint8_t* row = &out.pixels[size_t(height_px - 1 - j) * width_px * channels];  // Agg: bottom up
    for (int i = 0; i < width_px; ++i) {
      double fg = 0;
      int total = 0;
      for (int a = ty.start[j]; a < ty.start[j + 1]; ++a)
        for (int b = tx.start[i]; b < tx.start[i + 1]; ++b) {
          const int w = (ty.weight[a] * tx.weight[b] + kFilterScale / 2) >> kFilterShift;
          fg += double(scaled[size_t(ty.index[a]) * m.cols + size_t(tx.index[b])]) * w;
          total += w;
        }
      const float resampled = float(std::clamp(total ? fg / total : 0.0, 0.0, 1.0));
      const float x = norm == 0.f ? 0.f : (unscale(resampled) - s_vmin) / norm;
      const auto& rgb = lut[size_t(colormap_index(x))];
      uint8_t* px = row + (mirror ? width_px - 1 - i : i) * channels;
      for (int c = 0; c < 3; ++c) px[c] = uint8_t(rgb[size_t(c)] * 255.0);  // to_rgba(bytes=True)
    }
  }
  return out;
}

}  // namespace

void detail::check_matrix(const Matrix& m, const char* what) {
  if (m.rows <= 0 || m.cols <= 0 || m.data.size() != size_t(m.rows) * m.cols)
    throw Error(std::string(what) + ": bad matrix " + std::to_string(m.rows) + "x" +
                std::to_string(m.cols) + " with " + std::to_string(m.data.size()) + " values");
}


Image detail::imshow_viridis_impl(const Matrix& m, int width_px, int height_px, int channels, bool mirror,
                                  const RowRunner& run) {
  detail::check_matrix(m, "imshow_viridis");
  if (width_px < 1 || height_px < 1)
    throw Error("imshow_viridis: bad picture size " + std::to_string(width_px) + "x" + std::to_string(height_px));
  // matplotlib 3.10 (_make_image / _resample with interpolation 'auto'): RGBA-stage
  // resampling when the picture enlarges the data by less than 3x in either direction, else
  // data-stage (short recordings: few frames, drawn 1500 px wide); 'nearest' when each direction
  // is enlarged by more than 3x or exactly 1x or 2x, else Hanning.
  const double fx = double(width_px) / m.cols, fy = double(height_px) / m.rows;
  auto nearest_axis = [](double f) { return f > 3 || f == 1 || f == 2; };
  const bool nearest = nearest_axis(fx) && nearest_axis(fy);
  const std::vector<int> filter = hanning_lut();
  const Taps tx = axis_taps(m.cols, width_px, /*along_span=*/true, nearest, filter);
  const Taps ty = axis_taps(m.rows, height_px, /*along_span=*/false, nearest, filter);
  if (fx >= 3 && fy >= 3) return draw_data_stage(m, tx, ty, width_px, height_px, channels, mirror);

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

  Image out(width_px, height_px, channels, 255);
  // ScalarMappable.to_rgba(bytes=True) truncates. The clamp as max/min: the same values (none is
  // NaN) without branches.
  auto store = [](uint8_t* px, const double* fg, int total) {
    const double t = total ? double(total) : 1.0;  // total 0: fg is 0 too
    for (int c = 0; c < 3; ++c) px[c] = uint8_t(std::min(std::max(fg[c] / t, 0.0), 1.0) * 255.0);
  };
  const bool two_by_two = !nearest && tx.index.size() == size_t(2) * width_px &&
                          ty.index.size() == size_t(2) * height_px;
  auto draw_row = [&](int j) {
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
      return;
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
  };
  // Rows are independent: the runner may share them out.
  if (run) {
    run(size_t(height_px), [&](size_t j) { draw_row(int(j)); });
  } else {
    for (int j = 0; j < height_px; ++j) draw_row(j);
  }
  return out;
}

Image imshow_viridis(const Matrix& m, int width_px, int height_px) {
  return detail::imshow_viridis_impl(m, width_px, height_px, 4, /*mirror=*/false);
}

}  // namespace murmur::features
