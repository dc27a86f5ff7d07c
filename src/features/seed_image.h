// The reference's spectrogram pictures (preset `seed`) and the network input made from them.
//
// Reference recipe, per recording: a dB mel matrix D [30 mel bins, ~862 frames] is cropped to
// its own band (seed_crop_top), drawn with matplotlib 3.10
//   imshow(D, aspect='auto', origin='lower', cmap='viridis'), axes off, 10x4 in at 150 dpi
// into a 1500x600 RGBA PNG; for the network the PNG is converted to RGB, resized to 224x224
// (torchvision Resize on a PIL image = PIL bilinear with its support-scaled filter and 8-bit
// fixed point), scaled to [0, 1] and normalised with the ImageNet mean/std.
//
//   murmur::features::SeedImageConfig cfg;                     // the reference's settings
//   std::vector<float> x = murmur::features::seed_input(db, cfg, /*time_reversed=*/false);
//   // x: [3, 224, 224] CHW float, what the seed CNN saw for this recording
//   Image png = murmur::features::render_seed_image(db, cfg);  // the 1500x600 RGBA picture
//   auto both = murmur::features::seed_pictures(db, cfg, 2);   // 224x224 RGB bytes and twin
//
// render_seed_image reproduces matplotlib's pipeline exactly (viridis colour per cell, then
// Agg's Hanning resampling in RGBA space with its 1/256-pixel positions, 14-bit weights and
// reflected edges, then truncation to 8 bits), so its PNGs match the reference's to within
// the rounding of the dB values themselves.
#pragma once

#include <array>
#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <vector>

#include "features/log_mel.h"
#include "features/png.h"

namespace murmur::features {

// The rate the reference drew from: librosa.load's default (it upsampled BMD-HS's 4 kHz).
inline constexpr int kReferenceRateHz = 22050;

struct SeedImageConfig {
  int width_px = 1500;               // figure 10 in at 150 dpi, axes filling it
  int height_px = 600;               // 4 in at 150 dpi
  float crop_threshold_db = 40;      // keep bins whose mean dB is within this of the loudest bin's
  int crop_margin_bins = 2;          // ... plus this many bins above the highest such bin
  int crop_default_top = 24;         // top bin kept when no bin qualifies
  int input_size_px = 224;           // network input is input_size_px x input_size_px
  std::array<float, 3> mean = {0.485f, 0.456f, 0.406f};  // ImageNet, RGB
  std::array<float, 3> std = {0.229f, 0.224f, 0.225f};

  void validate(const std::string& section = "image") const;  // "image.field: rule (got v)"
};

void to_json(nlohmann::json& j, const SeedImageConfig& c);
void from_json(const nlohmann::json& j, SeedImageConfig& c);

// Highest mel bin kept: top = (highest bin whose mean dB > max bin mean - crop_threshold_db)
// + crop_margin_bins, at most db.rows - 1; crop_default_top (also capped) if no bin qualifies.
int seed_crop_top(const Matrix& db, const SeedImageConfig& cfg);

// Rows 0..seed_crop_top(db) of db.
Matrix seed_crop(const Matrix& db, const SeedImageConfig& cfg);

// matplotlib's imshow(m, aspect='auto', origin='lower', cmap='viridis') of the whole matrix
// into width_px x height_px RGBA (vmin/vmax = min/max of m; row 0 at the bottom), as 3.10 draws
// it: colour first, then resample in RGBA (Hanning) when m is enlarged < 3x in a direction;
// when both directions are enlarged >= 3x (short recordings), resample the data, then colour
// (data stage). Nearest-neighbour instead of Hanning where each direction is > 3x or 1x/2x.
Image imshow_viridis(const Matrix& m, int width_px, int height_px);

// imshow_viridis(seed_crop(db, cfg), cfg.width_px, cfg.height_px): the reference's PNG.
Image render_seed_image(const Matrix& db, const SeedImageConfig& cfg);

// Mirror image (the reference's time-reversed copy).
Image flip_left_right(const Image& image);

// PIL Image.resize((width, height), Image.BILINEAR) of an 8-bit image with any channel count.
Image resize_bilinear_pil(const Image& image, int width, int height);

// The reference's eval transform: RGB (alpha dropped), resize_bilinear_pil to input_size_px,
// /255, (x - mean) / std in float32. Returns [3, size, size] CHW.
std::vector<float> image_to_input(const Image& image, const SeedImageConfig& cfg);

// render_seed_image, optionally flip_left_right, image_to_input: [3, 224, 224] CHW.
std::vector<float> seed_input(const Matrix& db, const SeedImageConfig& cfg, bool time_reversed);

// Runs body(0) .. body(n - 1), in any order, possibly side by side (e.g. on LibTorch's threads).
using RowRunner = std::function<void(size_t n, const std::function<void(size_t)>& body)>;

// The network's 8-bit pictures (image_to_input's pixels before /255): input_size_px square RGB,
// the reference's picture and, for views = 2, its time-reversed twin. The big picture is drawn
// once, as RGB (its rows, and the resize's, through `run` if given: the same bytes); the twin is
// resized from it read mirrored (the pixels of flip_left_right).
std::vector<Image> seed_pictures(const Matrix& db, const SeedImageConfig& cfg, int views, const RowRunner& run = {});

// One of those pictures as the network's input: /255, (x - mean) / std in float32, [3, H, W] CHW.
std::vector<float> normalised_input(const Image& rgb, const SeedImageConfig& cfg);

}  // namespace murmur::features
