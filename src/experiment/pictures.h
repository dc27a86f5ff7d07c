// The reference's data preparation: every single-label recording of a data set drawn as the
// reference's spectrogram picture and its time-reversed twin (what `murmur spectrogram DIR`
// runs), with a metadata.csv that lists them.
//
//   PicturesResult r = write_reference_pictures("bmd-hs", "pictures", /*threads=*/2, quiet);
//   // pictures/AS/AS_005_sit_Aor.png, pictures/AS/AS_005_sit_Aor_time_reversed.png, ...
//   // pictures/metadata.csv: image,time_reversed_image,recording,patient,class,position,site,duration_s
#pragma once

#include <string>
#include <vector>

namespace murmur::experiment {

struct PicturesResult {
  int written = 0;                  // recordings drawn (two pictures each)
  std::vector<std::string> skipped; // "file: problem"
};

PicturesResult write_reference_pictures(const std::string& data_dir, const std::string& out_dir, int threads,
                                        bool quiet);

}  // namespace murmur::experiment
