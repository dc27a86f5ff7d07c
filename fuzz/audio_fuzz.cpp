// Fuzz target: audio decoding (libsndfile through audio::decode, the path every upload takes
// and the same checks audio::load applies to files): WAV/FLAC/OGG headers, truncation, odd
// rates, NaN/huge float samples, channel counts. Seeds: fuzz/corpus/audio.
#include "audio/audio.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  murmur::fuzz::expect_errors([&] {
    murmur::audio::LoadConfig cfg;
    cfg.max_duration_s = 60;  // the bound a service would set; keeps one input's memory small
    murmur::audio::Audio a = murmur::audio::decode(murmur::fuzz::bytes(data, size), "fuzz.wav", cfg);
    // What a preset does next: resample to its rate.
    murmur::audio::at_rate(std::move(a), 4000);
  });
  return 0;
}
