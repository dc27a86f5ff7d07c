// Pieces of index_dataset shared by its source files (index.cpp builds the index, index_csv.cpp
// reads train.csv and additional_metadata.csv, index_names.cpp parses file names). Not public.
//
//   std::vector<Anomaly> anomalies;
//   std::vector<CsvRow> rows = read_train_csv(dir + "/train.csv", anomalies);
//   read_metadata(dir, patients, anomalies);   // fills Patient::metadata by csv_patient_id
#pragma once

#include <sndfile.h>

#include <optional>
#include <string>
#include <vector>

#include "data/index.h"

namespace murmur::data::detail {

// One valid train.csv row.
struct CsvRow {
  int line = 0;
  std::string csv_patient_id;
  std::vector<int> labels;
  std::vector<std::string> names;  // recording names as written
};

bool one_of(const std::string& s, const std::vector<std::string>& options);
std::string lower(std::string s);

// The rows of train.csv at `path` (RFC 4180 via util::csv); bad rows become anomalies
// ("train.csv:N") and are skipped. Throws murmur::Error if the header is unusable.
std::vector<CsvRow> read_train_csv(const std::string& path, std::vector<Anomaly>& anomalies);

// dir/additional_metadata.csv, if present, into the patients with a csv_patient_id; problems
// become kBadMetadata anomalies, never exceptions.
void read_metadata(const std::string& dir, std::vector<Patient>& patients, std::vector<Anomaly>& anomalies);

// The header of an audio file, read by libsndfile (samples are never read), into info. "" when it
// is usable, else the unreadable_audio anomaly's message ("not readable as audio (...): skipped",
// "header declares no audio frames: skipped").
std::string probe_audio(const std::string& path, SF_INFO& info);

// index_sources.cpp: the tabled layouts ("physionet2016", "pascal-b", "manifest") and collections.
// table_layout: the layout of dir's REFERENCE.csv / manifest.csv, nullopt if it has neither
// (throws murmur::Error on an unknown header). collection_members: the data set folders directly
// inside dir, empty when dir is itself a data set.
std::optional<std::string> table_layout(const std::string& dir);
DatasetIndex index_table(const std::string& dir, const std::string& layout, const IndexOptions& options);
std::vector<std::string> collection_members(const std::string& dir);

}  // namespace murmur::data::detail
