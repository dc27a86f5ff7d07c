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
// labels (a patient with no train.csv row) are then left out and listed in `excluded`. A
// multi-label preset whose outputs include "abnormal" or "murmur" (pooled) takes every recording
// with at least one of its labels, from every source.
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
  // (patient, label or label set) of each recording, for splits. With several sources a patient is
  // "source:patient"; a multi-label recording without valve labels gets a stand-in label set (its
  // source and its normal / abnormal and murmur labels), so splits stratify by those.
  std::vector<data::Item> items() const;
  std::vector<std::string> sources() const;  // of `recordings`, sorted
  std::string sources_text() const;          // the same, as "bmd-hs, pascal-b, ..." for messages
};

// Targets of a recording for a multi-label preset's outputs: 1, 0, or -1 where its source does not
// say (train.h masks those). Outputs are valve diseases (known when the recording has valve labels:
// 1 if among them), "abnormal" and "murmur" (Recording::abnormal, ::murmur).
std::vector<float> label_targets(const data::Recording& r, const std::vector<std::string>& outputs);

LoadedSet load_dataset(const DataOptions& data, const pipeline::Preset& preset);

}  // namespace murmur::experiment
