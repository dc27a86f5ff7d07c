// google-benchmark of the feature stages on one 20 s recording (a real BMD-HS file if ../shared
// is present, else a synthetic one), one thread:
//   load (4 kHz WAV), resample 4 kHz -> 22,050 Hz, reference log-mel (2048-point FFT, 862 frames),
//   the native log-mel (512-point FFT, 626 frames), one FFT per backend (FFTW against kissfft),
//   seed picture (1500x600) and the whole WAV -> 3x224x224 seed tensor (as predict makes it); the
//   native features and a native-model prediction of the same recording, and an efficientat one.
// The Python side-by-side (bench/side_by_side.py) prints the ratios against the reference.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>

#include "audio/audio.h"
#include "features/fft.h"
#include "features/log_mel.h"
#include "features/seed_image.h"
#include "infer/native_predictor.h"
#include "model/checkpoint.h"
#include "pipeline/model.h"
#include "pipeline/native.h"
#include "pipeline/registry.h"
#include "pipeline/seed.h"
#include "synth/synth.h"
#include "util/alloc.h"

namespace {

std::string recording_path() {
  static std::string path = [] {
    std::string real = std::string(MURMUR_SOURCE_DIR) + "/../shared/data/bmd-hs/train/AS_005_sit_Aor.wav";
    if (std::filesystem::exists(real)) return real;
    std::string dir = (std::filesystem::temp_directory_path() / "murmur_bench_synth").string();
    murmur::synth::SynthConfig cfg;
    cfg.n_patients = 5;
    murmur::synth::write_synthetic_dataset(dir, cfg);
    for (auto& e : std::filesystem::directory_iterator(dir + "/train")) return e.path().string();
    return std::string();
  }();
  return path;
}

void BM_Load(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(murmur::audio::load(recording_path()));
}
BENCHMARK(BM_Load)->Unit(benchmark::kMillisecond);

void BM_Resample4kTo22k(benchmark::State& state) {
  auto a = murmur::audio::load(recording_path());
  for (auto _ : state) benchmark::DoNotOptimize(murmur::audio::resample(a.samples, a.sample_rate_hz, 22050));
}
BENCHMARK(BM_Resample4kTo22k)->Unit(benchmark::kMillisecond);

// Argument 0: FFTW (the default; kissfft in a build without it), 1: kissfft, the FFT of runs
// made before FFTW: the ratio between the two in the same run.
murmur::features::FftBackend backend_arg(const benchmark::State& state) {
  return state.range(0) == 0 ? murmur::features::FftBackend::kFftw : murmur::features::FftBackend::kKiss;
}

void BM_LogMelReference(benchmark::State& state) {
  murmur::audio::LoadConfig lc;
  lc.target_rate_hz = 22050;
  auto a = murmur::audio::load(recording_path(), lc);
  murmur::features::LogMelConfig cfg;
  cfg.fft = backend_arg(state);
  for (auto _ : state) benchmark::DoNotOptimize(murmur::features::log_mel(a.samples, cfg));
  state.SetLabel(murmur::features::fft_backend_name(cfg.fft));
}
BENCHMARK(BM_LogMelReference)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// The native family's log-mel (4 kHz, 512-point FFT, hop 128: 626 frames, 32 bands; target 0.5 ms).
void BM_LogMelNative(benchmark::State& state) {
  murmur::pipeline::NativePreset preset;
  auto a = murmur::audio::load(recording_path(), preset.audio);
  preset.log_mel.fft = backend_arg(state);
  for (auto _ : state) benchmark::DoNotOptimize(murmur::features::log_mel(a.samples, preset.log_mel));
  state.SetLabel(murmur::features::fft_backend_name(preset.log_mel.fft));
}
BENCHMARK(BM_LogMelNative)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

// One real FFT of each log-mel size per backend: the ratio between them.
void BM_RealFft(benchmark::State& state) {
  murmur::features::RealFft fft(int(state.range(1)), backend_arg(state));
  for (int i = 0; i < fft.size(); ++i) fft.input()[i] = std::sin(0.1f * float(i));
  for (auto _ : state) benchmark::DoNotOptimize(fft.forward());
  state.SetLabel(murmur::features::fft_backend_name(backend_arg(state)));
}
BENCHMARK(BM_RealFft)->ArgsProduct({{0, 1}, {512, 2048}})->Unit(benchmark::kNanosecond);

void BM_SeedPicture(benchmark::State& state) {
  murmur::audio::LoadConfig lc;
  lc.target_rate_hz = 22050;
  auto a = murmur::audio::load(recording_path(), lc);
  auto db = murmur::features::log_mel(a.samples, murmur::features::LogMelConfig{});
  murmur::features::SeedImageConfig cfg;
  for (auto _ : state) benchmark::DoNotOptimize(murmur::features::render_seed_image(db, cfg));
}
BENCHMARK(BM_SeedPicture)->Unit(benchmark::kMillisecond);

// One 3x224x224 input, as predict makes it (the twin is for training and eval.views = 2).
void BM_WavToSeedTensor(benchmark::State& state) {
  murmur::pipeline::SeedPreset preset;
  for (auto _ : state) {
    auto a = murmur::audio::load(recording_path(), preset.audio);
    benchmark::DoNotOptimize(
        murmur::pipeline::normalise_seed(preset.train_views(preset.answer_features(a)), preset.image));
  }
}
BENCHMARK(BM_WavToSeedTensor)->Unit(benchmark::kMillisecond);

void BM_WavToNativeFeatures(benchmark::State& state) {
  murmur::pipeline::NativePreset preset;
  for (auto _ : state) {
    auto a = murmur::audio::load(recording_path(), preset.audio);
    benchmark::DoNotOptimize(preset.features(a));
  }
}
BENCHMARK(BM_WavToNativeFeatures)->Unit(benchmark::kMillisecond);

// A fresh (untrained) model of the preset as predict runs it: eval mode, then for_inference.
murmur::pipeline::Model inference_model(const std::string& preset_name, const std::vector<std::string>& settings = {}) {
  auto model = murmur::pipeline::Model::fresh(
      murmur::pipeline::with_overrides(*murmur::pipeline::make_preset(preset_name), settings));
  model.net.module->eval();
  model.net = model.preset->for_inference(model.net);
  return model;
}

// Whole prediction of one 20 s recording with an (untrained) model of the preset: WAV -> probabilities.
void predict_recording(benchmark::State& state, const std::string& preset,
                       const std::vector<std::string>& settings = {}) {
  auto model = inference_model(preset, settings);
  for (auto _ : state) {
    auto a = murmur::audio::load(recording_path(), model.preset->audio);
    benchmark::DoNotOptimize(model.recording_probs(model.preset->answer_features(a)));
  }
}

void BM_NativePredict(benchmark::State& state) { predict_recording(state, "native"); }
BENCHMARK(BM_NativePredict)->Unit(benchmark::kMillisecond);

// The same model without LibTorch, as `murmur predict` runs it (infer/native_predictor.h):
// saved, read back by murmur's own reader, WAV -> probabilities on oneDNN directly.
void BM_NativePredictOneDnn(benchmark::State& state) {
  auto model = inference_model("native");
  murmur::model::Checkpoint ck;
  ck.state_dict = murmur::model::state_dict(*model.net.module);
  const auto names = model.preset->output_names();
  for (size_t i = 0; i < names.size(); ++i) ck.label_to_idx[names[i]] = int64_t(i);
  ck.murmur_config = model.preset->to_json();
  const std::string path = (std::filesystem::temp_directory_path() / "murmur_bench_native.pth").string();
  murmur::model::write_checkpoint(path, ck);
  auto predictor = murmur::infer::NativePredictor::open(path);
  if (!predictor) state.SkipWithError("the native model was not taken");
  murmur::infer::set_engine_threads(1);
  for (auto _ : state) benchmark::DoNotOptimize(predictor->predict_file(recording_path()));
  std::filesystem::remove(path);
}
BENCHMARK(BM_NativePredictOneDnn)->Unit(benchmark::kMillisecond);

void BM_SeedPredict(benchmark::State& state) { predict_recording(state, "seed"); }
BENCHMARK(BM_SeedPredict)->Unit(benchmark::kMillisecond);

// efficientat: resampling to 32 kHz, the encoder's frontend, one pass of the AudioSet encoder
// over the 20 s and 17 windows pooled (target: <= 50 ms on one thread).
void BM_EfficientAtPredict(benchmark::State& state) { predict_recording(state, "efficientat"); }
BENCHMARK(BM_EfficientAtPredict)->Unit(benchmark::kMillisecond);

// The same with efficientat.keep_bands=56: the bands up to 2 kHz only.
void BM_EfficientAtPredict56Bands(benchmark::State& state) {
  predict_recording(state, "efficientat", {"efficientat.keep_bands=56"});
}
BENCHMARK(BM_EfficientAtPredict56Bands)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  murmur::util::keep_freed_memory();  // as the murmur CLI does
  torch::set_num_threads(1);  // the targets are for one core
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
