// `murmur pretrain`: a preset's encoder learnt from recordings without their labels
// (train/pretrain.h: contrastive, two windows of a recording as positives), saved so that a preset
// of the same family starts from it (`train --init`, `cv --init`: model/init.h takes what matches).
//
//   PretrainRunOptions o;  o.data.data_dir = "../shared/data";  o.out_dir = "pre";
//   nlohmann::json summary = pretrain_run(o);   // pre/model.pth (the encoder and projection.*),
//                                               // pre/pretrain.json (this summary: recipe, epochs)
//   // then: murmur cv --preset valves --init pre/model.pth --data ../shared/data/bmd-hs
//
// Encoders: the native trunk (native, valves, pooled; the file keeps trunk.*) or EfficientAT's
// (efficientat-pooled and the other efficientat presets; the file keeps all but the output layer).
// The start: random weights, or the preset's train.init when set (efficientat*: AudioSet's).
// Recordings: every one load_dataset gives the preset (pooled and efficientat-pooled take every
// recording with any label from every source of a collection; the labels are not used), whole,
// but those of exclude_sources (then `cv --split source --init 'pre-no-{source}/model.pth'`).
// Views: two windows of native.window_s from anywhere in the recording, each through the preset's
// training augmentation.
// model.pth is written atomically after every epoch with the epochs done; `resume` continues
// from it (same batches and views; the optimizer's moments start again, so not bit-identical),
// and may raise pretrain.epochs (the cosine schedule then follows the new total).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "experiment/dataset.h"
#include "pipeline/registry.h"
#include "train/pretrain.h"

namespace murmur::experiment {

struct PretrainRunOptions {
  pipeline::PresetPtr preset = pipeline::make_preset("pooled");
  DataOptions data;
  std::string out_dir = "pretrained";
  train::PretrainConfig pretrain;
  std::vector<std::string> exclude_sources;  // sources left out (as `index` names them), e.g. the one a
                                             // leave-one-source-out fold will test on
  bool resume = false;
};

nlohmann::json pretrain_run(const PretrainRunOptions& options);

}  // namespace murmur::experiment
