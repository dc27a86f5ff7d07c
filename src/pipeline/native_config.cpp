#include "pipeline/native_config.h"

#include "util/check.h"

namespace murmur::pipeline {

void NativeFeatureConfig::validate(const std::string& s) const {
  auto key = [&](const char* field) { return util::setting_key(s, field); };
  util::check_setting(window_s > 0, key("window_s"), "must be > 0", window_s);
  util::check_setting(window_hop_s > 0, key("window_hop_s"), "must be > 0", window_hop_s);
  util::check_setting(train_s >= window_s, key("train_s"), "must be at least window_s", train_s);
  util::check_setting(freq_masks >= 0, key("freq_masks"), "must be >= 0", freq_masks);
  util::check_setting(time_masks >= 0, key("time_masks"), "must be >= 0", time_masks);
  util::check_setting(gain_db >= 0, key("gain_db"), "must be >= 0", gain_db);
  util::check_setting(crops_per_epoch >= 1, key("crops_per_epoch"), "must be >= 1", crops_per_epoch);
  phase_segmenter.validate(util::setting_key(s, "phase_segmenter"));
  util::check_setting(cycle_weight >= 0 && cycle_weight <= 100, key("cycle_weight"), "must be in [0, 100]",
                      cycle_weight);
}

void to_json(nlohmann::json& j, const NativeFeatureConfig& c) {
  j = {{"window_s", c.window_s}, {"window_hop_s", c.window_hop_s}, {"standardize", c.standardize},
       {"centre_bands", c.centre_bands}, {"time_reverse", c.time_reverse}, {"freq_masks", c.freq_masks},
       {"freq_mask_bins", c.freq_mask_bins}, {"time_masks", c.time_masks},
       {"time_mask_frames", c.time_mask_frames}, {"gain_db", c.gain_db},
       {"train_s", c.train_s}, {"repeat_short", c.repeat_short}, {"crops_per_epoch", c.crops_per_epoch},
       {"md_training", c.md_training}, {"phase_channels", c.phase_channels},
       {"phase_segmenter", c.phase_segmenter}, {"cycle_weight", c.cycle_weight}};
}

void from_json(const nlohmann::json& j, NativeFeatureConfig& c) {
  NativeFeatureConfig d;
  c.window_s = j.value("window_s", d.window_s);
  c.window_hop_s = j.value("window_hop_s", d.window_hop_s);
  c.standardize = j.value("standardize", d.standardize);
  c.centre_bands = j.value("centre_bands", false);  // absent: saved before it existed, trained without
  c.time_reverse = j.value("time_reverse", d.time_reverse);
  c.freq_masks = j.value("freq_masks", d.freq_masks);
  c.freq_mask_bins = j.value("freq_mask_bins", d.freq_mask_bins);
  c.time_masks = j.value("time_masks", d.time_masks);
  c.time_mask_frames = j.value("time_mask_frames", d.time_mask_frames);
  c.gain_db = j.value("gain_db", d.gain_db);
  c.train_s = j.value("train_s", d.train_s);
  c.repeat_short = j.value("repeat_short", false);  // absent: saved before it existed, zero-padded
  c.crops_per_epoch = j.value("crops_per_epoch", d.crops_per_epoch);
  c.md_training = j.value("md_training", d.md_training);
  c.phase_channels = j.value("phase_channels", d.phase_channels);
  if (j.contains("phase_segmenter"))
    c.phase_segmenter = j.at("phase_segmenter").get<segment::SegmentConfig>();
  else  // absent: off, or saved before it existed and trained with the first segmenter
    c.phase_segmenter = c.phase_channels ? segment::SegmentConfig::synthetic() : d.phase_segmenter;
  c.cycle_weight = j.value("cycle_weight", d.cycle_weight);
}

}  // namespace murmur::pipeline
