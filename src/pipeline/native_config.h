// The native preset's own settings (section "native"), apart from the preset so that
// LibTorch-free inference (infer/native_engine.h) reads the same JSON with the same defaults.
//
//   NativeFeatureConfig c = j.at("native").get<NativeFeatureConfig>();
//   c.window_s                                 // evaluation windows, seconds
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "segment/segment.h"

namespace murmur::pipeline {

struct NativeFeatureConfig {
  double window_s = 4.0;            // training crops and evaluation windows (several cardiac cycles)
  double window_hop_s = 1.0;        // evaluation windows every hop
  bool standardize = true;          // per-recording mean/std normalisation of the dB matrix
  // Each mel band's mean over the recording subtracted first (in dB): a stethoscope's response,
  // or any fixed filter, is a constant gain per band and vanishes; what is left is how each
  // band changes over the heart cycle (docs/RESULTS.md section 6). A configuration saved before
  // the setting existed has no such key and reads as off: its model was trained without it.
  bool centre_bands = true;
  bool time_reverse = true;         // training: p = 0.5
  int freq_masks = 2, freq_mask_bins = 4;       // SpecAugment frequency masks
  int time_masks = 2, time_mask_frames = 12;    // SpecAugment time masks
  double gain_db = 0;               // random gain (a no-op under standardisation; kept for ablation)
  double train_s = 20.0;            // training uses (up to) this much of each recording
  // A training recording shorter than train_s is repeated end to end up to it, so that every
  // training window holds heart sounds. Off, it is zero-padded, and a random window of a 5 s
  // recording lies wholly in the padding two times in three: a blank input taught with the
  // recording's label. Absent from a saved configuration: off, as its model was trained.
  bool repeat_short = true;
  int crops_per_epoch = 4;          // random windows drawn from each training recording per epoch
  bool md_training = true;          // multi-disease patients as extra training data (never tested)
  // Cardiac phase as two more input channels (1 in systole / in diastole, per frame, from
  // murmur's segmenter, segment/segment.h): lets the network tell systolic from diastolic
  // murmurs by where they sit in the cycle. Off by default (ablation: docs/RESULTS.md section 5).
  bool phase_channels = false;
  // The segmenter that marks those channels (always saved, so `--set native.phase_channels=true`
  // keeps the default). A configuration with phase channels saved before the segmenter learnt from
  // annotated hearts has none: SegmentConfig::synthetic(), the one its model was trained with.
  segment::SegmentConfig phase_segmenter;
  // Heart-cycle auxiliary task: training recordings with a hand annotation of S1 / systole / S2 /
  // diastole (PhysioNet 2016's, a manifest's `segmentation` column) also teach a frame-level head
  // on the trunk to name the state of every time step; this weights its cross-entropy against the
  // main loss. 0 = off (no head). Inference never uses the head: it only shapes the trunk, so that
  // what the trunk passes on knows where systole and diastole are (docs/RESULTS.md section 6).
  double cycle_weight = 0;
  void validate(const std::string& section = "native") const;
};
void to_json(nlohmann::json& j, const NativeFeatureConfig& c);
void from_json(const nlohmann::json& j, NativeFeatureConfig& c);

}  // namespace murmur::pipeline
