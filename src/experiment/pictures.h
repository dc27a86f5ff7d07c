// The reference's data preparation: every single-label recording of a data set drawn as the
// reference's spectrogram picture and its time-reversed twin (what `murmur spectrogram DIR`
// runs), with a metadata.csv that lists them.
//
//   features::Image png = reference_picture("a.wav");   // one recording's 1500x600 picture
//   PicturesResult r = write_reference_pictures("bmd-hs", "pictures", /*threads=*/2, quiet);
//   // pictures/AS/AS_005_sit_Aor.png, pictures/AS/AS_005_sit_Aor_time_reversed.png, ...
//   // pictures/metadata.csv: image,time_reversed_image,recording,patient,class,position,site,duration_s
#pragma once

#include <string>
#include <vector>

#include "features/png.h"

// No LibTorch here: `murmur spectrogram` runs in the launcher (cli/model_commands.h).
namespace murmur::experiment {

// The reference's picture of a recording file: the seed preset's defaults end to end (resampled
// to features::kReferenceRateHz, LogMelConfig{}, SeedImageConfig{}); equal to SeedPreset().picture.
features::Image reference_picture(const std::string& path);

struct PicturesResult {
  int written = 0;                  // recordings drawn (two pictures each)
  std::vector<std::string> skipped; // "file: problem"
};

PicturesResult write_reference_pictures(const std::string& data_dir, const std::string& out_dir, int threads,
                                        bool quiet);

}  // namespace murmur::experiment
