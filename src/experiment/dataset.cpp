#include "experiment/dataset.h"

#include <cstdlib>
#include <map>
#include <iostream>

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

std::vector<data::Item> LoadedSet::items() const {
  std::vector<data::Item> items;
  for (auto& r : recordings) items.push_back({r.patient_id, r.label, multi_label ? r.labels : std::vector<int>{}});
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
  for (auto& r : index.recordings)
    if (set.multi_label ? !r.labels.empty() : r.is_single_label()) chosen.push_back(r);
  // Sources that carry no valve labels at all (PhysioNet 2016, PASCAL B: normal / abnormal or
  // murmur only) are left out as a whole, said once per source; the valve presets cannot use them.
  std::map<std::string, int> unlabelled_sources;
  std::map<std::string, bool> named_like_bmdhs;  // CLASS_PID_POSITION_SITE names: labels may just be unknown
  for (auto& r : index.recordings) named_like_bmdhs[r.source] = named_like_bmdhs[r.source] || !r.file_class.empty();
  for (auto& [name, src] : index.summary.sources)
    if (src.n_valve_labelled == 0 && !named_like_bmdhs[name]) {
      unlabelled_sources[name] = src.n_recordings;
      set.excluded.push_back(name + ": " + std::to_string(src.n_recordings) +
                             " recordings without valve labels (its labels: normal / abnormal or murmur): left out");
    }
  if (set.multi_label)
    for (auto& p : index.patients)
      if (p.labels.empty() && !p.recordings.empty() &&
          !unlabelled_sources.count(index.recordings[size_t(p.recordings[0])].source))
        set.excluded.push_back(p.id + ": no labels (no train.csv row, or a row without a label set): left out of training and evaluation (" +
                               std::to_string(p.recordings.size()) + " recordings)");
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
