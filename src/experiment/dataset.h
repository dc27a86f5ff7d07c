// A data set ready for experiments: the usable recordings of a folder with their features
// (computed once, then read from the feature cache), and what was left out and why.
//
//   DataOptions d{"../shared/data/bmd-hs"};
//   LoadedSet set = load_dataset(d, preset);     // features by preset->features()
//   set.recordings[i], set.stored[i];            // single-label recordings and their features
//
// Single-label patients (N, AS, AR, MR, MS) make the 5-class task. Multi-disease (MD) patients
// with labels enter only as extra training data when the preset asks (trains_on_multi_disease),
// with their diseases as an even target distribution. A multi-label preset (Preset::multi_label)
// takes every recording with labels instead, multi-disease patients included; recordings without
// labels (a patient with no train.csv row) are then left out and listed in `excluded`.
// Recordings that fail to load are
// reported, skipped and listed in `skipped`; they never stop a run.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "data/index.h"
#include "data/splits.h"
#include "pipeline/preset.h"

namespace murmur::experiment {

struct DataOptions {
  std::string data_dir;
  std::string cache_dir;  // "" = $MURMUR_CACHE_DIR, else ~/.cache/murmur (XDG_CACHE_HOME)
  bool quiet = false;
  int threads = 1;        // feature extraction workers
};

struct LoadedSet {
  std::vector<data::Recording> recordings;  // usable single-label recordings
  std::vector<torch::Tensor> stored;        // their features, same order
  std::vector<data::Recording> extra;       // MD recordings with labels (training only)
  std::vector<torch::Tensor> extra_stored;
  std::vector<std::string> skipped;         // "file: problem" for each recording left out
  std::vector<std::string> excluded;        // "patient: why" for patients a multi-label set leaves out
  bool multi_label = false;                 // recordings hold every labelled patient (label sets)
  std::vector<std::string> anomalies;       // the index's findings, "where: message"
  std::string fingerprint;                  // the data set's (data::DatasetIndex::fingerprint)
  int n_indexed = 0;
  std::vector<data::Item> items() const;    // (patient, label or label set) of each recording, for splits
};

LoadedSet load_dataset(const DataOptions& data, const pipeline::Preset& preset);

}  // namespace murmur::experiment
