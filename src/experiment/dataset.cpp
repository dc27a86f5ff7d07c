#include "experiment/dataset.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <map>
#include <set>

#include "data/cache.h"
#include "util/error.h"
#include "util/pool.h"
#include "util/progress.h"

namespace murmur::experiment {

namespace {

std::string default_cache_dir() {
  if (const char* x = std::getenv("MURMUR_CACHE_DIR")) return x;
  if (const char* x = std::getenv("XDG_CACHE_HOME")) return std::string(x) + "/murmur";
  if (const char* h = std::getenv("HOME")) return std::string(h) + "/.cache/murmur";
  return "";
}

}  // namespace

std::vector<float> label_targets(const data::Recording& r, const std::vector<std::string>& outputs) {
  std::vector<float> t(outputs.size(), -1.0f);
  for (size_t k = 0; k < outputs.size(); ++k) {
    if (outputs[k] == "abnormal") t[k] = float(r.abnormal);
    else if (outputs[k] == "murmur") t[k] = float(r.murmur);
    else if (!r.labels.empty())
      t[k] = std::count(r.labels.begin(), r.labels.end(), data::class_index(outputs[k])) ? 1.0f : 0.0f;
  }
  return t;
}

std::vector<std::string> LoadedSet::sources() const {
  std::set<std::string> s;
  for (auto& r : recordings) s.insert(r.source);
  return {s.begin(), s.end()};
}

std::string LoadedSet::sources_text() const {
  std::string text;
  for (const auto& s : sources()) text += (text.empty() ? "" : ", ") + s;
  return text;
}

std::vector<data::Item> LoadedSet::items() const {
  std::vector<data::Item> items;
  const bool pooled = sources().size() > 1;  // patients named by their source too: ids may repeat across sources
  auto group = [&](const data::Recording& r) { return pooled ? r.source + ":" + r.patient_id : r.patient_id; };
  // A patient without valve labels is stratified by (source, its highest abnormal and murmur labels).
  std::map<std::string, std::pair<int, int>> highest;
  for (auto& r : recordings) {
    auto [it, fresh] = highest.emplace(group(r), std::pair{r.abnormal, r.murmur});
    if (!fresh) it->second = {std::max(it->second.first, r.abnormal), std::max(it->second.second, r.murmur)};
  }
  std::map<std::string, int> strata;
  for (auto& r : recordings) {
    data::Item it{group(r), r.label, multi_label ? r.labels : std::vector<int>{}};
    if (multi_label && it.labels.empty()) {
      auto [abnormal, murmur] = highest[it.group];
      const std::string key = r.source + "/" + std::to_string(abnormal) + "/" + std::to_string(murmur);
      it.labels = {data::kNumClasses + strata.emplace(key, int(strata.size())).first->second};
    }
    items.push_back(it);
  }
  return items;
}

LoadedSet load_dataset(const DataOptions& options, const pipeline::Preset& preset) {
  preset.validate();
  data::DatasetIndex index = data::index_dataset(options.data_dir);
  LoadedSet set;
  set.fingerprint = index.fingerprint;
  set.n_indexed = int(index.recordings.size());
  for (auto& a : index.anomalies) {
    set.anomalies.push_back(a.where + ": " + a.message);
    if (a.kind == data::AnomalyKind::kUnreadableAudio || a.kind == data::AnomalyKind::kBadFileName)
      set.skipped.push_back(a.where + ": " + a.message);
  }
  std::vector<data::Recording> chosen;
  set.multi_label = preset.multi_label();
  const auto outputs = preset.output_names();
  auto any_known = [&](const data::Recording& r) {
    auto t = label_targets(r, outputs);
    return std::any_of(t.begin(), t.end(), [](float v) { return v >= 0; });
  };
  std::map<std::string, int> chosen_per_source;
  for (auto& r : index.recordings)
    if (set.multi_label ? any_known(r) : r.is_single_label()) chosen.push_back(r), ++chosen_per_source[r.source];
  // Sources with none of the preset's labels (PhysioNet 2016, PASCAL B for the valve presets: they
  // say normal / abnormal or murmur only) are left out as a whole, said once per source.
  std::map<std::string, int> unlabelled_sources;
  std::map<std::string, bool> named_like_bmdhs;  // CLASS_PID_POSITION_SITE names: labels may just be unknown
  for (auto& r : index.recordings) named_like_bmdhs[r.source] = named_like_bmdhs[r.source] || !r.file_class.empty();
  for (auto& [name, src] : index.summary.sources)
    if (chosen_per_source[name] == 0 && src.n_valve_labelled == 0 && !named_like_bmdhs[name]) {
      unlabelled_sources[name] = src.n_recordings;
      set.excluded.push_back(name + ": " + std::to_string(src.n_recordings) +
                             " recordings without valve labels (its labels: normal / abnormal or murmur): left out"
                             " (preset pooled learns from them)");
    }
  if (set.multi_label)
    for (auto& p : index.patients) {
      if (!p.labels.empty() || p.recordings.empty()) continue;
      const data::Recording& first = index.recordings[size_t(p.recordings[0])];
      if (unlabelled_sources.count(first.source) ||
          std::any_of(p.recordings.begin(), p.recordings.end(), [&](int i) { return any_known(index.recordings[size_t(i)]); }))
        continue;
      set.excluded.push_back(p.id + (named_like_bmdhs[first.source]
                                         ? ": no labels (no train.csv row, or a row without a label set)"
                                         : ": unlabelled in " + first.source) +
                             ": left out of training and evaluation (" + std::to_string(p.recordings.size()) + " recordings)");
    }
  const size_t n_single = chosen.size();
  if (preset.trains_on_multi_disease())
    for (auto& r : index.recordings)
      if (r.file_class == "MD" && !r.labels.empty()) chosen.push_back(r);
  data::FeatureCache cache(options.cache_dir.empty() ? default_cache_dir() : options.cache_dir);
  const nlohmann::json feature_key = preset.feature_json();
  std::vector<torch::Tensor> stored(chosen.size());
  std::vector<std::string> errors(chosen.size());
  util::Progress bar("features (" + preset.name() + ")", long(chosen.size()), options.quiet);
  util::parallel_for(chosen.size(), options.threads, [&](size_t i) {
    try {
      stored[i] = cache.get_or_compute(chosen[i].path, feature_key, [&] {
        return preset.features(audio::load(chosen[i].path, preset.audio));
      });
    } catch (const Error& e) {
      errors[i] = e.what();
    }
    bar.tick();
  });
  bar.done();
  for (size_t i = 0; i < chosen.size(); ++i) {
    if (!errors[i].empty()) {
      set.skipped.push_back(errors[i]);
      continue;
    }
    (i < n_single ? set.recordings : set.extra).push_back(chosen[i]);
    (i < n_single ? set.stored : set.extra_stored).push_back(stored[i]);
  }
  for (auto& s : set.skipped) std::cerr << "murmur: skipped " << s << "\n";
  for (auto& s : set.excluded) std::cerr << "murmur: left out " << s << "\n";
  if (!set.anomalies.empty() && !options.quiet) {
    std::cerr << "murmur: " << options.data_dir << ": " << set.anomalies.size()
              << " data set anomalies (recorded in the run's report; `murmur index` explains them):\n";
    for (auto& a : set.anomalies) std::cerr << "murmur:   " << a << "\n";
  }
  if (set.recordings.empty())
    throw Error(options.data_dir + (set.multi_label ? ": no usable recordings with labels"
                                                    : ": no usable single-label recordings (N, AS, AR, MR, MS)"));
  return set;
}

}  // namespace murmur::experiment
