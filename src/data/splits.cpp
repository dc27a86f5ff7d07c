#include "data/splits.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include "util/error.h"

namespace murmur::data {

namespace {

// Patients by class, each list in first-seen order: {label -> [group]}, and group -> item indices.
struct Groups {
  std::map<int, std::vector<std::string>> by_label;
  std::map<std::string, std::vector<int>> members;
};

Groups group_items(const std::vector<Item>& items, const std::vector<int>& subset) {
  Groups g;
  std::map<std::string, int> label_of;
  for (int i : subset) {
    const Item& it = items[size_t(i)];
    auto [pos, fresh] = label_of.emplace(it.group, it.label);
    if (!fresh && pos->second != it.label)
      throw Error("split: patient " + it.group + " has recordings of two classes (" +
                  std::to_string(pos->second) + " and " + std::to_string(it.label) + ")");
    if (fresh) g.by_label[it.label].push_back(it.group);
    g.members[it.group].push_back(i);
  }
  return g;
}

std::vector<int> all_indices(const std::vector<Item>& items) {
  std::vector<int> v(items.size());
  for (size_t i = 0; i < v.size(); ++i) v[i] = int(i);
  return v;
}

// Deterministic shuffle (std::shuffle's algorithm is implementation-defined; this is not).
template <typename T>
void shuffle(std::vector<T>& v, std::mt19937_64& rng) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[size_t(rng() % i)]);
}

}  // namespace

std::vector<Split> stratified_group_kfold(const std::vector<Item>& items, int k, uint64_t seed) {
  if (!items.empty() && !items.front().labels.empty()) return multilabel_group_kfold(items, k, seed);
  if (k < 2) throw Error("split: folds " + std::to_string(k) + " must be at least 2");
  Groups g = group_items(items, all_indices(items));
  if (int(g.members.size()) < k)
    throw Error("split: " + std::to_string(g.members.size()) + " patients cannot fill " + std::to_string(k) + " folds");
  std::mt19937_64 rng(seed);
  std::vector<std::vector<std::string>> fold_groups(static_cast<size_t>(k));
  // Deal each class's shuffled patients round-robin, continuing where the last class stopped
  // so that small classes do not all start at fold 0.
  int next = 0;
  for (auto& [label, groups] : g.by_label) {
    std::vector<std::string> shuffled = groups;
    shuffle(shuffled, rng);
    for (auto& grp : shuffled) fold_groups[size_t(next++ % k)].push_back(grp);
  }
  std::vector<Split> folds(static_cast<size_t>(k));
  for (int f = 0; f < k; ++f)
    for (int other = 0; other < k; ++other)
      for (auto& grp : fold_groups[size_t(other)])
        for (int i : g.members[grp]) (other == f ? folds[size_t(f)].test : folds[size_t(f)].train).push_back(i);
  for (auto& s : folds) {
    std::sort(s.train.begin(), s.train.end());
    std::sort(s.test.begin(), s.test.end());
  }
  return folds;
}

void carve_validation(const std::vector<Item>& items, Split& split, double fraction, uint64_t seed) {
  if (!items.empty() && !items.front().labels.empty()) return multilabel_carve_validation(items, split, fraction, seed);
  if (fraction <= 0 || fraction >= 1) throw Error("split: validation fraction " + std::to_string(fraction) + " must be in (0, 1)");
  Groups g = group_items(items, split.train);
  std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15ULL);
  std::set<std::string> to_val;
  for (auto& [label, groups] : g.by_label) {
    std::vector<std::string> shuffled = groups;
    shuffle(shuffled, rng);
    // At least one patient of each class with two or more patients, so every class is validated.
    size_t n = size_t(std::lround(fraction * double(shuffled.size())));
    if (n == 0 && shuffled.size() >= 2) n = 1;
    for (size_t i = 0; i < n; ++i) to_val.insert(shuffled[i]);
  }
  // Tiny data sets: rounding per class can leave the side empty; then take one patient from the
  // class with the most patients (if it has two or more, so it keeps one for training).
  if (to_val.empty()) {
    const std::vector<std::string>* largest = nullptr;
    for (auto& [label, groups] : g.by_label)
      if (!largest || groups.size() > largest->size()) largest = &groups;
    if (largest && largest->size() >= 2) to_val.insert((*largest)[size_t(rng() % largest->size())]);
  }
  std::vector<int> train;
  for (int i : split.train) (to_val.count(items[size_t(i)].group) ? split.val : train).push_back(i);
  split.train = train;
  std::sort(split.val.begin(), split.val.end());
}

Split recording_split(const std::vector<Item>& items, double test_fraction, double val_fraction, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::map<int, std::vector<int>> by_label;
  for (size_t i = 0; i < items.size(); ++i) by_label[items[i].label].push_back(int(i));
  Split s;
  for (auto& [label, idx] : by_label) {
    shuffle(idx, rng);
    size_t n_test = size_t(std::ceil(test_fraction * double(idx.size())));
    size_t n_rest = idx.size() - n_test;
    size_t n_val = size_t(std::ceil(val_fraction * double(n_rest)));
    for (size_t i = 0; i < idx.size(); ++i)
      (i < n_test ? s.test : i < n_test + n_val ? s.val : s.train).push_back(idx[i]);
  }
  for (auto* v : {&s.train, &s.val, &s.test}) std::sort(v->begin(), v->end());
  return s;
}

Split patient_split(const std::vector<Item>& items, double test_fraction, double val_fraction, uint64_t seed) {
  if (test_fraction <= 0 || test_fraction >= 1)
    throw Error("split: test fraction " + std::to_string(test_fraction) + " must be in (0, 1)");
  Split s;
  s.train = all_indices(items);
  // Test first, from all patients; then validation from what remains.
  carve_validation(items, s, test_fraction, seed);
  std::swap(s.val, s.test);
  carve_validation(items, s, val_fraction / (1.0 - test_fraction), seed + 1);
  return s;
}

std::vector<std::string> leaked_groups(const std::vector<Item>& items, const Split& split) {
  std::map<std::string, std::set<int>> sides;
  const std::vector<int>* parts[] = {&split.train, &split.val, &split.test};
  for (int p = 0; p < 3; ++p)
    for (int i : *parts[p]) sides[items.at(size_t(i)).group].insert(p);
  std::vector<std::string> leaked;
  for (auto& [grp, s] : sides)
    if (s.size() > 1) leaked.push_back(grp);
  return leaked;
}

void check_no_leak(const std::vector<Item>& items, const Split& split) {
  auto leaked = leaked_groups(items, split);
  if (!leaked.empty())
    throw Error("leakage guard: patient " + leaked.front() + " (and " + std::to_string(leaked.size() - 1) +
                " more) is in more than one of train/validation/test");
}

}  // namespace murmur::data
