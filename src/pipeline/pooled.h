// Preset `pooled`: one model from every heart-sound set at hand. The valves pipeline (native front
// end, trunk and windows, one sigmoid per output) with two more outputs, "abnormal" (a cardiac
// diagnosis: PhysioNet 2016's label, any valve disease in BMD-HS, a murmur in PASCAL B) and
// "murmur"; each recording teaches the outputs its source has labels for (the others are masked
// out of the loss, train.h), and the sources are balanced in sampling.
//
//   PresetPtr p = make_preset("pooled");                  // registry.h
//   experiment::CvOptions cv;  cv.preset = p;  cv.split = "source";
//   cv.data.data_dir = "../shared/data";                  // a collection: every source
//   experiment::cv_run(cv);                               // leave-one-source-out (loso_run.h)
//   torch::Tensor p6 = Model::fresh(p).recording_probs(stored);  // AR AS MR MS abnormal murmur
//
// Sampling: a training recording of a source with n_s recordings is drawn
// native.crops_per_epoch * N * n_s^-balance / sum_s n_s^(1-balance) times per epoch (at least
// once; experiment::balanced_copies): 0 draws every recording alike, 1 every source alike; with
// pooled.balance_labels, a source's normal and abnormal recordings are drawn equally often too.
// Thresholds (section "valves") are chosen per output on the validation patients that have it.
#pragma once

#include "pipeline/valves.h"

namespace murmur::pipeline {

struct PooledConfig {
  double source_balance = 0.5;  // 0..1, the exponent above
  // Within each source, normal, abnormal and unsaid (-1) recordings drawn equally often (each
  // source's share of abnormal recordings would otherwise be a prior its sound gives away; left
  // one source out, without it: mean MAcc 0.584 and training-e's AUROC 0.24, with it 0.631 and
  // 0.48, docs/RESULTS.md section 6).
  bool balance_labels = true;
  void validate(const std::string& section = "pooled") const;
};

class PooledPreset : public ValvesPreset {
 public:
  PooledPreset();
  PooledConfig pooled;

  std::string name() const override { return "pooled"; }
  std::unique_ptr<Preset> clone() const override { return std::make_unique<PooledPreset>(*this); }
  double source_balance() const override { return pooled.source_balance; }
  bool balances_labels() const override { return pooled.balance_labels; }
  std::vector<std::string> output_names() const override;

 protected:
  nlohmann::json own_json() const override;
  void own_from_json(const nlohmann::json& j) override;
  void validate_own() const override;
};

}  // namespace murmur::pipeline
