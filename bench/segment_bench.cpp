// google-benchmark of the heart-cycle segmenter on one 20 s, 4 kHz recording (a real BMD-HS file
// if ../shared is present, else a synthetic one), one thread, beside the log-mel features the
// presets compute from the same recording (its cost is the yardstick: segmentation should not
// dominate feature extraction). Target (issue 13): segment() < 5 ms.
//   build/segment_bench     # BM_Segment: the whole segment(); the rest are its parts or yardsticks
#include <benchmark/benchmark.h>

#include <filesystem>

#include "audio/audio.h"
#include "features/log_mel.h"
#include "pipeline/native.h"
#include "segment/emission.h"
#include "segment/segment.h"
#include "synth/synth.h"

namespace {

const murmur::audio::Audio& recording() {
  static const murmur::audio::Audio a = [] {
    std::string real = std::string(MURMUR_SOURCE_DIR) + "/../shared/data/bmd-hs/train/AS_005_sit_Aor.wav";
    if (std::filesystem::exists(real)) return murmur::audio::load(real);
    murmur::audio::Audio synthetic;
    synthetic.sample_rate_hz = 4000;
    synthetic.samples = murmur::synth::synth_recording(1, "Aor", "sit", murmur::synth::draw_patient(1, 5), 7);
    return synthetic;
  }();
  return a;
}

void BM_Segment(benchmark::State& state) {
  const auto& a = recording();
  for (auto _ : state) benchmark::DoNotOptimize(murmur::segment::segment(a.samples, a.sample_rate_hz));
}
BENCHMARK(BM_Segment)->Unit(benchmark::kMillisecond);

// Its first part: resampling to 1 kHz, filters, spike removal, envelopes.
void BM_SegmentFeatures(benchmark::State& state) {
  const auto& a = recording();
  for (auto _ : state) benchmark::DoNotOptimize(murmur::segment::envelope_features(a.samples, a.sample_rate_hz));
}
BENCHMARK(BM_SegmentFeatures)->Unit(benchmark::kMillisecond);

// The native preset's log-mel of the same recording at 4 kHz (512-point FFT, hop 128).
void BM_LogMelNative(benchmark::State& state) {
  const auto& a = recording();
  const murmur::pipeline::NativePreset preset;
  for (auto _ : state) benchmark::DoNotOptimize(murmur::features::log_mel(a.samples, preset.log_mel));
}
BENCHMARK(BM_LogMelNative)->Unit(benchmark::kMillisecond);

// The reference's log-mel (seed preset): the recording at 22,050 Hz, 2048-point FFT, hop 512.
void BM_LogMelReference(benchmark::State& state) {
  const auto at_22k = murmur::audio::at_rate(recording(), 22050);
  const murmur::features::LogMelConfig cfg;
  for (auto _ : state) benchmark::DoNotOptimize(murmur::features::log_mel(at_22k.samples, cfg));
}
BENCHMARK(BM_LogMelReference)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
