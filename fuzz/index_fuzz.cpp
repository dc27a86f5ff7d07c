// Fuzz target: the data set index (data::index_dataset), i.e. train.csv and
// additional_metadata.csv as a user's folder holds them. The input is split at the first NUL
// byte: before it train.csv, after it additional_metadata.csv (absent if there is no NUL). The
// folder's train/ holds a few empty recordings with BMD-HS names, quirks included (the index
// reads names, not audio). Seeds: fuzz/corpus/index.
#include <filesystem>

#include <nlohmann/json.hpp>

#include "data/index.h"
#include "fuzz_util.h"
#include "util/json.h"

namespace {

const std::string& data_dir() {
  static const std::string dir = [] {
    std::string d = murmur::fuzz::scratch_dir() + "/data";
    std::filesystem::create_directories(d + "/train");
    for (const char* name : {"N_001_sit_Aor.wav", "AS_002_sup_Mit.wav", "AR_003_sit_Pul.wav", "MR_004_sup_Tri.wav",
                             "MS_005_sit_Aor.wav", "MD_006_sit_Tri6_06.wav", "MD_007_sup_Aor.wav", "odd name.wav"})
      murmur::fuzz::write_file("data/train/" + std::string(name), "");
    return d;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input = murmur::fuzz::bytes(data, size);
  const std::string dir = data_dir();
  const size_t nul = input.find('\0');
  murmur::fuzz::write_file("data/train.csv", input.substr(0, nul));
  if (nul == std::string::npos)
    std::filesystem::remove(dir + "/additional_metadata.csv");
  else
    murmur::fuzz::write_file("data/additional_metadata.csv", input.substr(nul + 1));
  murmur::fuzz::expect_errors([&] {
    murmur::data::DatasetIndex ix = murmur::data::index_dataset(dir);
    nlohmann::json j = ix;  // every field must serialise as `murmur index --json` writes it
    (void)murmur::util::json_text(j);
  });
  return 0;
}
