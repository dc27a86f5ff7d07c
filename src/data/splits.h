// Splitting recordings into train / validation / test without leaking patients.
//
//   std::vector<murmur::data::Item> items = ...;    // one per recording: patient id + class
//   auto folds = murmur::data::stratified_group_kfold(items, /*k=*/5, /*seed=*/1);
//   murmur::data::check_no_leak(items, split);      // throws if a patient is on two sides
//
// Groups are patients (CLASS_PID): every recording of a patient (and every augmented copy of
// it, which shares the recording's index) lands on one side. Stratification is by the
// patient's class, or, for multi-label items (label sets), by every label at once: iterative
// stratification (Sechidis, Tsoumakas & Vlahavas 2011) over patients. The reference's leaky
// per-recording split exists only as `recording_split`, and callers must warn when they use it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace murmur::data {

struct Item {
  std::string group;        // patient id, e.g. "AS_005"
  int label = -1;           // class index
  std::vector<int> labels;  // multi-label items: the patient's label set (non-empty; `label` unused)
};

// Indices into the item list for each side of one split.
struct Split {
  std::vector<int> train, val, test;
};

// k folds; fold f's `test` is its held-out part, `train` the rest (val left empty).
// Patients of each class are shuffled (seeded) and dealt round-robin, so every fold gets
// about 1/k of each class's patients. Throws if a group has items of different classes.
std::vector<Split> stratified_group_kfold(const std::vector<Item>& items, int k, uint64_t seed);

// Moves about `fraction` of `split.train`'s patients (stratified by class) into `split.val`.
// Both dispatch to the multi-label versions below when the items carry label sets.
void carve_validation(const std::vector<Item>& items, Split& split, double fraction, uint64_t seed);

// Iterative stratification of patients: each label's patients spread over the folds in
// proportion, rarest label first. Throws if a patient's recordings disagree on the label set.
std::vector<Split> multilabel_group_kfold(const std::vector<Item>& items, int k, uint64_t seed);
void multilabel_carve_validation(const std::vector<Item>& items, Split& split, double fraction, uint64_t seed);

// The reference's split: stratified by class, `test_fraction` of the items to test, then
// `val_fraction` of the rest to validation, at random per item (sklearn train_test_split
// style). It LEAKS patients across sides: for reproducing the reference only.
Split recording_split(const std::vector<Item>& items, double test_fraction, double val_fraction, uint64_t seed);

// Patient-grouped train/validation/test (stratified by patient class), e.g. 0.6/0.2/0.2.
Split patient_split(const std::vector<Item>& items, double test_fraction, double val_fraction, uint64_t seed);

// Throws murmur::Error naming the first patient found on two sides (train/val/test).
void check_no_leak(const std::vector<Item>& items, const Split& split);

// Patients found on more than one side (empty for a clean split).
std::vector<std::string> leaked_groups(const std::vector<Item>& items, const Split& split);

}  // namespace murmur::data
