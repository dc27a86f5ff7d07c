#include "infer/native_engine.h"

#include <dlfcn.h>

#include <algorithm>

#include "util/error.h"

namespace murmur::infer {

void set_engine_threads(int n) {
  // Debian's oneDNN runs its primitives on OpenMP (libgomp, loaded with it), whose thread count is
  // set per calling thread. Looked up at run time: murmur itself is built without OpenMP, so
  // that any compiler (clang for the sanitized build) builds it with no OpenMP runtime of its own.
  using SetThreads = void (*)(int);
  static const auto set = reinterpret_cast<SetThreads>(::dlsym(RTLD_DEFAULT, "omp_set_num_threads"));
  if (set) set(std::max(1, n));
}

NativeEngine::NativeEngine(const model::RawState& state, const model::NativeNetConfig& cfg, const std::string& prefix,
                           const std::string& source)
    : cfg_(cfg) {
  cfg_.validate();
  StateTaker take(state, prefix, source);
  const int w = cfg_.width;
  const int widths[5] = {cfg_.in_channels, w, 2 * w, 4 * w, 4 * w};
  for (int i = 0; i < 4; ++i)  // NativeNet's trunk: Conv2d (no bias) at index 4i, BatchNorm2d at 4i + 1
    convs_.push_back(fold_conv_bn(take, "trunk." + std::to_string(4 * i) + ".", "trunk." + std::to_string(4 * i + 1) + ".",
                                  widths[i], widths[i + 1], /*conv_bias=*/false, /*pool_after=*/i < 3));
  head_w_ = take.floats("head.weight", {cfg_.n_classes, 4 * w});
  head_b_ = take.floats("head.bias", {cfg_.n_classes});
  if (cfg_.cycle_states > 0) {  // the heart-cycle head shaped the trunk in training; answers never use it
    take.present("cycle.weight");
    take.present("cycle.bias");
  }
  take.check_all_used();
}

std::vector<std::vector<float>> NativeEngine::window_logits(const std::vector<float>& x, int n_mels, int frames,
                                                            int window_frames, int hop_frames) const {
  if (n_mels < 1 || frames < 1 || x.size() != size_t(cfg_.in_channels) * size_t(n_mels) * size_t(frames))
    throw Error("NativeNet: expected " + std::to_string(cfg_.in_channels) + " x n_mels x frames inputs");
  const Planes out = run_conv_trunk(convs_, {x.data(), cfg_.in_channels, n_mels, frames}, "NativeNet");
  const int64_t channels = out.channels, h = out.height, t = out.width;

  // The mean over frequency, then the mean feature of each window (avg_pool1d), then the head.
  const float* y = out.data.data();
  std::vector<float> f(size_t(channels * t));
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t k = 0; k < t; ++k) {
      double s = 0;
      for (int64_t b = 0; b < h; ++b) s += y[(c * h + b) * t + k];
      f[size_t(c * t + k)] = float(s / double(h));
    }
  const int64_t win = std::max<int64_t>(1, window_frames / model::kNativeTimeStride);
  const int64_t hop = std::max<int64_t>(1, hop_frames / model::kNativeTimeStride);
  const int64_t span = t <= win ? t : win;
  const int64_t n_windows = t <= win ? 1 : (t - win) / hop + 1;
  std::vector<std::vector<float>> logits(size_t(n_windows), std::vector<float>(size_t(cfg_.n_classes)));
  std::vector<float> pooled(static_cast<size_t>(channels));
  for (int64_t w = 0; w < n_windows; ++w) {
    for (int64_t c = 0; c < channels; ++c) {
      double s = 0;
      for (int64_t k = w * hop; k < w * hop + span; ++k) s += f[size_t(c * t + k)];
      pooled[size_t(c)] = float(s / double(span));
    }
    for (int k = 0; k < cfg_.n_classes; ++k) {
      double s = head_b_[size_t(k)];
      for (int64_t c = 0; c < channels; ++c) s += double(head_w_[size_t(k * channels + c)]) * pooled[size_t(c)];
      logits[size_t(w)][size_t(k)] = float(s);
    }
  }
  return logits;
}

}  // namespace murmur::infer
