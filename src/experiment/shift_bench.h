// The shift bench of every cv report (issue 14): each test recording of repeat 0 scored again,
// by the fold model that never saw it, under each controlled shift of audio::bench_shifts()
// (stethoscope responses, sample rates, clip lengths, noises, gains, and all at once), so the
// report shows how far the accuracy falls when the recording is not what training saw.
//
//   nlohmann::json bench = shift_bench("runs/native", set, 5, boot, Fusion::kGeometric, 2, false);
//   // report["shifts"]: {"clean": {...}, "shifts": [{"name": "noise pink 10 dB", ...}], ...}
//
// Per fold, RUN/repeat0/foldF/shifts.csv keeps the scores (the predictions CSV with the file
// column "SHIFT|RECORDING#CLIP") and shifts_quality.csv the clips the signal-quality check
// (audio/quality.h) answers "unusable recording"; the report scores both with and without those
// answers. A rebuilt report reuses both. Every clip of a crop is a row of its
// own (recording level), and a patient's clips are fused like its recordings (patient level).
// Single-label presets; multi-label runs get null. Schema: docs/schemas.md.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "eval/fusion.h"
#include "eval/metrics.h"
#include "experiment/dataset.h"

namespace murmur::experiment {

nlohmann::json shift_bench(const std::string& run_dir, const LoadedSet& set, int folds,
                           const eval::BootstrapConfig& boot, eval::Fusion fusion, int threads, bool quiet);

}  // namespace murmur::experiment
