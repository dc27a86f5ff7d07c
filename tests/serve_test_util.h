// Helpers shared by stream_test.cpp and serve_test.cpp: one tiny native model per test binary
// (20 synthetic patients, 2 epochs: seconds), synthetic heart sounds and in-memory WAV files.
#pragma once

#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "data/index.h"
#include "synth/synth.h"
#include "test_util.h"
#include "experiment/train_run.h"

namespace murmur::test {

// model.pth of a native model trained for 2 epochs on 10 synthetic patients, built once.
inline const std::string& tiny_model_path() {
  static std::string path;
  static std::once_flag once;
  std::call_once(once, [] {
    std::string dir = temp_dir("serve_tiny_model");
    synth::SynthConfig sc;
    sc.n_patients = 20;  // 4 per class: the patient split needs one per class for validation
    sc.seed = 1;
    synth::write_synthetic_dataset(dir + "/data", sc);
    experiment::TrainRunOptions o;
    auto preset = pipeline::make_preset("native");
    preset->train.epochs = 2;
    o.preset = std::move(preset);
    o.data.data_dir = dir + "/data";
    o.data.quiet = true;
    o.out_dir = dir + "/model";
    experiment::train_run(o);
    path = o.out_dir + "/model.pth";
  });
  return path;
}

// duration_s of a synthetic AS recording (patient 1 of seed 1), 4 kHz mono in [-1, 1].
inline std::vector<float> synth_heart(double duration_s, int rate_hz = 4000) {
  synth::SynthConfig sc;
  sc.duration_s = duration_s;
  sc.sample_rate_hz = rate_hz;
  return synth::synth_recording(data::class_index("AS"), "Aor", "sit", synth::draw_patient(1, 1), 7, sc);
}

// A 16-bit PCM WAV file's bytes.
inline std::string wav_bytes(const std::vector<float>& x, int rate_hz, int channels = 1) {
  auto u32 = [](std::string& s, uint32_t v) { for (int i = 0; i < 4; ++i) s += char((v >> (8 * i)) & 0xff); };
  auto u16 = [](std::string& s, uint16_t v) { s += char(v & 0xff); s += char(v >> 8); };
  uint32_t data = uint32_t(x.size() * 2 * size_t(channels));
  std::string s = "RIFF";
  u32(s, 36 + data);
  s += "WAVEfmt ";
  u32(s, 16); u16(s, 1); u16(s, uint16_t(channels)); u32(s, uint32_t(rate_hz));
  u32(s, uint32_t(rate_hz * 2 * channels)); u16(s, uint16_t(2 * channels)); u16(s, 16);
  s += "data";
  u32(s, data);
  for (float v : x)
    for (int c = 0; c < channels; ++c) {
      int q = int(std::lround(std::max(-1.f, std::min(1.f, v)) * 32767));
      u16(s, uint16_t(int16_t(q)));
    }
  return s;
}

}  // namespace murmur::test
