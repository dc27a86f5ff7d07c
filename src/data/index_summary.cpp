// The index's summary counts and its JSON form.
#include <algorithm>
#include <set>
#include <nlohmann/json.hpp>

#include "data/index.h"

namespace murmur::data {

Summary summarize(const std::vector<Recording>& recordings, const std::vector<Patient>& patients) {
  Summary s;
  s.n_recordings = static_cast<int>(recordings.size());
  s.n_patients = static_cast<int>(patients.size());
  s.single_label_recordings.assign(kNumClasses, 0);
  s.single_label_patients.assign(kNumClasses, 0);
  s.label_patients.assign(kNumClasses, 0);
  for (const auto& c : kFileClasses) s.recordings_per_file_class[c] = s.patients_per_file_class[c] = 0;
  std::vector<double> d;
  std::map<std::string, std::set<std::string>> source_patients;
  for (const auto& r : recordings) {
    SourceSummary& src = s.sources[r.source];
    src.duration_min_s = src.n_recordings ? std::min(src.duration_min_s, r.duration_s) : r.duration_s;
    src.duration_max_s = std::max(src.duration_max_s, r.duration_s);
    src.duration_total_s += r.duration_s;
    ++src.n_recordings;
    ++src.sample_rates_hz[r.sample_rate_hz];
    src.n_valve_labelled += !r.labels.empty();
    src.n_normal += r.abnormal == 0, src.n_abnormal += r.abnormal == 1;
    src.n_murmur += r.murmur == 1, src.n_no_murmur += r.murmur == 0;
    src.n_annotated += !r.segmentation.empty(), src.n_noisy += r.noisy;
    source_patients[r.source].insert(r.patient_id);
    if (!r.file_class.empty()) {  // BMD-HS names: CLASS_PID_POSITION_SITE
      ++s.recordings_per_file_class[r.file_class];
      ++s.positions[r.position];
      ++s.sites[r.site];
    }
    ++s.sample_rates_hz[r.sample_rate_hz];
    ++s.channels[r.channels];
    if (r.label >= 0) {
      ++s.single_label_recordings[r.label];
      ++s.n_single_label_recordings;
    }
    d.push_back(r.duration_s);
    s.duration_total_s += r.duration_s;
  }
  for (auto& [name, ids] : source_patients) s.sources[name].n_patients = static_cast<int>(ids.size());
  s.n_patients = 0;
  for (const auto& p : patients) {
    if (p.recordings.empty()) continue;
    ++s.n_patients;
    const Recording& first = recordings.at(static_cast<size_t>(p.recordings[0]));
    if (!first.file_class.empty()) {
      ++s.patients_per_file_class[first.file_class];
      if (p.csv_patient_id.empty()) ++s.n_patients_without_row; else ++s.n_csv_rows;
    }
    if (p.label >= 0) {
      ++s.single_label_patients[p.label];
      ++s.n_single_label_patients;
    }
    for (int l : p.labels) ++s.label_patients[l];
  }
  if (!d.empty()) {
    std::sort(d.begin(), d.end());
    size_t n = d.size();
    s.duration_min_s = d.front();
    s.duration_max_s = d.back();
    s.duration_median_s = n % 2 ? d[n / 2] : 0.5 * (d[n / 2 - 1] + d[n / 2]);
  }
  return s;
}

static nlohmann::json label_names(const std::vector<int>& labels) {
  nlohmann::json j = nlohmann::json::array();
  for (int l : labels) j.push_back(kClassNames[l]);
  return j;
}

void to_json(nlohmann::json& j, const Recording& r) {
  j = {{"path", r.path}, {"name", r.name}, {"stem", r.stem}, {"patient_id", r.patient_id},
       {"file_class", r.file_class}, {"position", r.position}, {"site", r.site},
       {"labels", label_names(r.labels)}, {"label", r.label >= 0 ? nlohmann::json(kClassNames[r.label]) : nlohmann::json()},
       {"duration_s", r.duration_s}, {"sample_rate_hz", r.sample_rate_hz}, {"channels", r.channels},
       {"frames", r.frames}, {"size_bytes", r.size_bytes}, {"source", r.source},
       {"abnormal", r.abnormal >= 0 ? nlohmann::json(r.abnormal == 1) : nlohmann::json()},
       {"murmur", r.murmur >= 0 ? nlohmann::json(r.murmur == 1) : nlohmann::json()}, {"noisy", r.noisy},
       {"segmentation", r.segmentation}};
}

void to_json(nlohmann::json& j, const Patient& p) {
  j = {{"id", p.id}, {"csv_patient_id", p.csv_patient_id}, {"labels", label_names(p.labels)},
       {"label", p.label >= 0 ? nlohmann::json(kClassNames[p.label]) : nlohmann::json()},
       {"recordings", p.recordings}};
  if (p.metadata) {
    const auto& m = *p.metadata;
    j["metadata"] = {{"age_years", m.age_years}, {"gender", m.gender}, {"smoker", m.smoker}, {"lives", m.lives}};
  }
}

void to_json(nlohmann::json& j, const Anomaly& a) {
  j = {{"kind", anomaly_kind_name(a.kind)}, {"where", a.where}, {"message", a.message}};
}

void to_json(nlohmann::json& j, const Summary& s) {
  auto per_class = [](const std::vector<int>& v) {
    nlohmann::json o = nlohmann::json::object();
    for (int k = 0; k < kNumClasses && k < static_cast<int>(v.size()); ++k) o[kClassNames[k]] = v[k];
    return o;
  };
  auto keyed = [](const std::map<int, int>& m) {
    nlohmann::json o = nlohmann::json::object();
    for (auto [k, v] : m) o[std::to_string(k)] = v;
    return o;
  };
  nlohmann::json sources = nlohmann::json::object();
  for (const auto& [name, src] : s.sources)
    sources[name] = {{"n_recordings", src.n_recordings}, {"n_patients", src.n_patients},
                     {"n_valve_labelled", src.n_valve_labelled}, {"n_normal", src.n_normal},
                     {"n_abnormal", src.n_abnormal}, {"n_murmur", src.n_murmur}, {"n_no_murmur", src.n_no_murmur},
                     {"n_annotated", src.n_annotated}, {"n_noisy", src.n_noisy},
                     {"sample_rates_hz", keyed(src.sample_rates_hz)},
                     {"duration_s", {{"min", src.duration_min_s}, {"max", src.duration_max_s},
                                     {"total", src.duration_total_s}}}};
  j = {{"n_recordings", s.n_recordings},
       {"n_patients", s.n_patients},
       {"n_csv_rows", s.n_csv_rows},
       {"n_patients_without_row", s.n_patients_without_row},
       {"n_single_label_recordings", s.n_single_label_recordings},
       {"n_single_label_patients", s.n_single_label_patients},
       {"recordings_per_file_class", s.recordings_per_file_class},
       {"patients_per_file_class", s.patients_per_file_class},
       {"single_label_recordings", per_class(s.single_label_recordings)},
       {"single_label_patients", per_class(s.single_label_patients)},
       {"label_patients", per_class(s.label_patients)},
       {"positions", s.positions},
       {"sites", s.sites},
       {"sample_rates_hz", keyed(s.sample_rates_hz)},
       {"channels", keyed(s.channels)},
       {"duration_s", {{"min", s.duration_min_s}, {"median", s.duration_median_s}, {"max", s.duration_max_s},
                       {"total", s.duration_total_s}}},
       {"sources", sources}};
}

void to_json(nlohmann::json& j, const DatasetIndex& ix) {
  j = {{"dir", ix.dir}, {"layout", ix.layout}, {"fingerprint", ix.fingerprint},
       {"fingerprint_method", ix.fingerprint_method}, {"summary", ix.summary},
       {"anomalies", ix.anomalies}, {"patients", ix.patients}, {"recordings", ix.recordings}};
}

}  // namespace murmur::data
