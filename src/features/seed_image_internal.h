// Pieces of the seed picture shared by seed_image.cpp (crop, PIL resize, network input) and
// seed_image_draw.cpp (matplotlib/Agg imshow). Not public.
//
//   detail::check_matrix(db, "seed_crop_top");   // murmur::Error "seed_crop_top: bad matrix 0x0 ..."
//   Image rgb = detail::imshow_viridis_impl(m, 1500, 600, /*channels=*/3, /*mirror=*/true);
#pragma once

#include "features/seed_image.h"

namespace murmur::features::detail {

void check_matrix(const Matrix& m, const char* what);

// imshow_viridis into `channels` (3 or 4) channels, optionally mirrored left-right; the enlarging
// (RGBA-stage) drawing's rows through `run` if given.
Image imshow_viridis_impl(const Matrix& m, int width_px, int height_px, int channels, bool mirror,
                          const RowRunner& run = {});

}  // namespace murmur::features::detail
