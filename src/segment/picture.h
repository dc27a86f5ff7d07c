// A picture of a segmentation a clinician can check: the waveform with the four phases shaded
// (S1 red, systole orange, S2 blue, diastole green), a phase strip, and the spectrogram
// (0-600 Hz, dB) with S1 and S2 onsets marked; time axis in seconds.
//
//   murmur::segment::Segmentation s = murmur::segment::segment(a.samples, a.sample_rate_hz);
//   murmur::segment::write_picture("AS_005.svg", a.samples, a.sample_rate_hz, s, "AS_005_sit_Aor");
//
// SVG (self-contained: styles inline, the spectrogram an embedded PNG; titles, axes, legend) or
// PNG (the same panels as pixels, without text), chosen by the extension; written atomically.
// PictureExtras add to the SVG what a caller knows beyond the segmentation (pipeline/explanation.h
// outlines the band an answer relied on and draws its occlusions underneath).
#pragma once

#include <string>
#include <vector>

#include "features/png.h"
#include "segment/segment.h"

namespace murmur::segment {

struct PictureExtras {
  double band_lo_hz = 0, band_hi_hz = 0;  // outlined on the spectrogram (clipped to its 600 Hz) when hi > lo
  std::string band_label;                 // written inside the outline
  std::string panel_svg;                  // SVG elements drawn under the picture, (0, 0) its top left, 1200 wide
  int panel_height_px = 0;
};

// The SVG document.
std::string picture_svg(const std::vector<float>& pcm, int rate_hz, const Segmentation& s, const std::string& title,
                        const PictureExtras& extras = {});

// The raster picture, width_px wide (RGB).
features::Image picture_png(const std::vector<float>& pcm, int rate_hz, const Segmentation& s, int width_px = 1200);

// .svg or .png by path's extension (case-insensitive); throws murmur::Error naming path for
// another extension or an I/O error.
void write_picture(const std::string& path, const std::vector<float>& pcm, int rate_hz, const Segmentation& s,
                   const std::string& title);

}  // namespace murmur::segment
