// Matplotlib's viridis colormap: the 256-entry table behind `cmap='viridis'`, and the
// index rule of matplotlib.colors.Colormap.__call__ for a value already normalised to [0, 1].
//
//   const auto& lut = murmur::features::viridis_lut();       // lut[i] = {r, g, b} in [0, 1]
//   int i = murmur::features::colormap_index(0.5f);           // 128
//
// The table is copied digit for digit from matplotlib/_cm_listed.py (_viridis_data), so the
// doubles are the ones matplotlib colours with before it resamples in RGBA space.
#pragma once

#include <array>

#include "features/png.h"

namespace murmur::features {

constexpr int kColormapSize = 256;  // matplotlib's Colormap.N for viridis

using ColormapTable = std::array<std::array<double, 3>, kColormapSize>;

const ColormapTable& viridis_lut();

// int(x * N) in float32, x == 1 mapped to N - 1, clipped to [0, N - 1] (matplotlib sends
// x < 0 and x > 1 to the under/over colours, which for viridis are the end entries).
int colormap_index(float normalised);

// rows x cols values (row-major) as an RGB picture in viridis from their min to their max, each
// row row_px pixels high, row 0 at the bottom (a log-mel's lowest band: the web page's picture).
Image viridis_picture(const float* values, int rows, int cols, int row_px = 4);

}  // namespace murmur::features
