// Fuzz target: the tabled data set layouts (data::index_dataset on PhysioNet 2016's and PASCAL
// B's REFERENCE.csv, a user's manifest.csv): header detection, label words, paths, duplicates.
// The first input byte chooses the table (even: manifest.csv, odd: REFERENCE.csv), the rest is
// its text. The folder holds a short valid WAV (a.wav, in audio/ and training-a/ too), an empty
// file (b.wav) and an annotation (seg.tsv); paths outside it are only ever probed, never written.
// Seeds: fuzz/corpus/sources.
#include <filesystem>

#include <nlohmann/json.hpp>

#include "data/index.h"
#include "fuzz_util.h"
#include "util/json.h"

namespace {

// 0.25 s of silence-but-one-sample at 4 kHz, 16-bit PCM, as a RIFF/WAVE file.
std::string tiny_wav() {
  const uint32_t n = 1000, data_bytes = n * 2;
  std::string w = "RIFF";
  auto u32 = [&](uint32_t v) { for (int i = 0; i < 4; ++i) w += char((v >> (8 * i)) & 0xff); };
  auto u16 = [&](uint16_t v) { for (int i = 0; i < 2; ++i) w += char((v >> (8 * i)) & 0xff); };
  u32(36 + data_bytes);
  w += "WAVEfmt ";
  u32(16), u16(1), u16(1), u32(4000), u32(8000), u16(2), u16(16);
  w += "data";
  u32(data_bytes);
  w += std::string(data_bytes, '\0');
  w[44] = 0x10;
  return w;
}

const std::string& data_dir() {
  static const std::string dir = [] {
    namespace fs = std::filesystem;
    std::string d = murmur::fuzz::scratch_dir() + "/sources";
    fs::create_directories(d + "/audio");
    fs::create_directories(d + "/training-a");
    for (const char* name : {"sources/a.wav", "sources/audio/a.wav", "sources/training-a/a.wav"})
      murmur::fuzz::write_file(name, tiny_wav());
    murmur::fuzz::write_file("sources/b.wav", "");
    murmur::fuzz::write_file("sources/seg.tsv", "start_s\tend_s\tstate\n0\t0.1\tS1\n");
    return d;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string dir = data_dir();
  const bool manifest = data[0] % 2 == 0;
  std::filesystem::remove(dir + "/manifest.csv");
  std::filesystem::remove(dir + "/REFERENCE.csv");
  murmur::fuzz::write_file(std::string("sources/") + (manifest ? "manifest.csv" : "REFERENCE.csv"),
                           murmur::fuzz::bytes(data + 1, size - 1));
  murmur::fuzz::expect_errors([&] {
    murmur::data::DatasetIndex ix = murmur::data::index_dataset(dir);
    nlohmann::json j = ix;  // every field must serialise as `murmur index --json` writes it
    (void)murmur::util::json_text(j);
  });
  return 0;
}
