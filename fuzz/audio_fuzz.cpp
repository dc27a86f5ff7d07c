// Fuzz target: audio decoding (libsndfile through audio::decode, the path every upload takes,
// with the checks audio::load applies to files): WAV and FLAC headers, truncation, odd rates,
// NaN/huge float samples, channel counts. Seeds: fuzz/corpus/audio.
#include "audio/audio.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  murmur::fuzz::expect_errors([&] {
    murmur::audio::LoadConfig cfg;
    cfg.max_duration_s = 60;            // keeps one input's memory small
    cfg.containers = {"wav", "flac"};   // what serve accepts (Ogg: a known libsndfile leak, docs/SECURITY.md)
    murmur::audio::Audio a = murmur::audio::decode(murmur::fuzz::bytes(data, size), "fuzz.wav", cfg);
    // What a preset does next: resample to its rate.
    murmur::audio::at_rate(std::move(a), 4000);
  });
  return 0;
}
