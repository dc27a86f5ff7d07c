// Iterative stratification for multi-label data (Sechidis, Tsoumakas & Vlahavas, "On the
// stratification of multi-label data", ECML PKDD 2011, Algorithm 1), applied to patients:
// the rarest label's patients are placed first, each into the part that still wants most of
// that label (ties: the part that wants most patients, then a seeded draw). A patient's
// recordings always go together.
#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include "data/splits.h"
#include "util/error.h"

namespace murmur::data {

namespace {

struct LabelGroups {
  std::vector<std::string> groups;              // first-seen order
  std::vector<std::vector<int>> labels;         // per group, sorted label set
  std::map<std::string, std::vector<int>> members;
};

LabelGroups label_groups(const std::vector<Item>& items, const std::vector<int>& subset) {
  LabelGroups g;
  std::map<std::string, size_t> index;
  for (int i : subset) {
    const Item& it = items[size_t(i)];
    std::vector<int> set = it.labels;
    std::sort(set.begin(), set.end());
    if (set.empty()) throw Error("split: patient " + it.group + " has a recording without labels");
    auto [pos, fresh] = index.emplace(it.group, g.groups.size());
    if (fresh) {
      g.groups.push_back(it.group);
      g.labels.push_back(set);
    } else if (g.labels[pos->second] != set) {
      throw Error("split: patient " + it.group + " has recordings with different label sets");
    }
    g.members[it.group].push_back(i);
  }
  return g;
}

// Part index (0..ratios.size()-1) of every group.
std::vector<int> iterative_assign(const std::vector<std::vector<int>>& labels, const std::vector<double>& ratios,
                                  uint64_t seed) {
  const size_t n = labels.size(), parts = ratios.size();
  std::mt19937_64 rng(seed);
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  for (size_t i = n; i > 1; --i) std::swap(order[i - 1], order[size_t(rng() % i)]);  // deterministic shuffle
  std::map<int, double> label_count;
  for (auto& set : labels)
    for (int l : set) label_count[l] += 1;
  std::vector<double> want_total(parts);
  std::map<int, std::vector<double>> want;
  for (size_t j = 0; j < parts; ++j) want_total[j] = ratios[j] * double(n);
  for (auto& [l, c] : label_count)
    for (size_t j = 0; j < parts; ++j) want[l].push_back(ratios[j] * c);
  std::vector<int> part(n, -1);
  size_t left = n;
  while (left > 0) {
    // The label with the fewest unplaced patients (ties: the smaller label index).
    std::map<int, int> unplaced;
    for (size_t g : order)
      if (part[g] < 0)
        for (int l : labels[g]) ++unplaced[l];
    int rarest = unplaced.begin()->first;
    for (auto& [l, c] : unplaced)
      if (c < unplaced[rarest]) rarest = l;
    for (size_t g : order) {
      if (part[g] >= 0 || !std::binary_search(labels[g].begin(), labels[g].end(), rarest)) continue;
      std::vector<size_t> best;
      for (size_t j = 0; j < parts; ++j) {
        if (best.empty()) { best = {j}; continue; }
        const size_t b = best.front();
        const double dl = want[rarest][j] - want[rarest][b], dt = want_total[j] - want_total[b];
        if (dl > 1e-9 || (std::abs(dl) <= 1e-9 && dt > 1e-9)) best = {j};
        else if (std::abs(dl) <= 1e-9 && std::abs(dt) <= 1e-9) best.push_back(j);
      }
      const size_t j = best[size_t(rng() % best.size())];
      part[g] = int(j);
      for (int l : labels[g]) want[l][j] -= 1;
      want_total[j] -= 1;
      --left;
    }
  }
  return part;
}

}  // namespace

std::vector<Split> multilabel_group_kfold(const std::vector<Item>& items, int k, uint64_t seed) {
  if (k < 2) throw Error("split: folds " + std::to_string(k) + " must be at least 2");
  std::vector<int> all(items.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = int(i);
  LabelGroups g = label_groups(items, all);
  if (int(g.groups.size()) < k)
    throw Error("split: " + std::to_string(g.groups.size()) + " patients cannot fill " + std::to_string(k) + " folds");
  auto part = iterative_assign(g.labels, std::vector<double>(size_t(k), 1.0 / k), seed);
  std::vector<Split> folds(static_cast<size_t>(k));
  for (int f = 0; f < k; ++f)
    for (size_t p = 0; p < g.groups.size(); ++p)
      for (int i : g.members[g.groups[p]]) (part[p] == f ? folds[size_t(f)].test : folds[size_t(f)].train).push_back(i);
  for (auto& s : folds) {
    std::sort(s.train.begin(), s.train.end());
    std::sort(s.test.begin(), s.test.end());
  }
  return folds;
}

void multilabel_carve_validation(const std::vector<Item>& items, Split& split, double fraction, uint64_t seed) {
  if (fraction <= 0 || fraction >= 1) throw Error("split: validation fraction " + std::to_string(fraction) + " must be in (0, 1)");
  LabelGroups g = label_groups(items, split.train);
  auto part = iterative_assign(g.labels, {1.0 - fraction, fraction}, seed ^ 0x9e3779b97f4a7c15ULL);
  std::set<std::string> to_val;
  for (size_t p = 0; p < g.groups.size(); ++p)
    if (part[p] == 1) to_val.insert(g.groups[p]);
  std::vector<int> train;
  for (int i : split.train) (to_val.count(items[size_t(i)].group) ? split.val : train).push_back(i);
  split.train = train;
  std::sort(split.val.begin(), split.val.end());
}

}  // namespace murmur::data
