// murmur segment --score DIR...: the segmenter against every hand-annotated recording of the data
// sets given (PhysioNet 2016's segmentation/, a manifest's segmentation column), S1 and S2
// detection precision, recall and F1 (segment/score.h), pooled per source and over all.
//
//   murmur segment --score ../shared/data/physionet2016            # a table per source
//   murmur --json segment --score ../shared/data --tolerance-ms 60  # the same as JSON
//   murmur segment --score ../shared/data --refit   # each source scored by a segmenter fitted on the others
//   murmur segment --score ../shared/data --emissions synthetic   # murmur's first segmenter
#pragma once

#include <string>
#include <vector>

#include "segment/segment.h"

namespace murmur::cli {

// Prints the table (or JSON with --json); throws murmur::Error when no recording has an annotation.
// Recordings that cannot be segmented or whose annotation is unreadable are reported, skipped,
// and listed; then SomeInputsFailed is thrown (exit code 3).
// refit: leave one source out, each source scored with emissions (fit_emissions) and S1/S2 durations
// (fit_sound_durations) fitted on the others' annotations; else every source with `segmenter`. The
// default segmenter was fitted on PhysioNet 2016's annotations, so its figures there are in-sample.
void score_segmentation(const std::vector<std::string>& dirs, double tolerance_s, bool refit = false,
                        const segment::SegmentConfig& segmenter = {});

}  // namespace murmur::cli
