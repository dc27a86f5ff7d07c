#include "infer/native_engine.h"

#include <dlfcn.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <cmath>
#include <set>

#include "util/error.h"

namespace murmur::infer {

namespace {

using dnnl::memory;
using Tag = memory::format_tag;
constexpr auto kF32 = memory::data_type::f32;

const dnnl::engine& cpu() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

// The tensor under `key`, as floats of the given shape; Error naming the key otherwise.
std::vector<float> take(const model::RawState& state, std::set<std::string>& used, const std::string& key,
                        const std::vector<int64_t>& shape, const std::string& source) {
  for (const auto& [k, t] : state) {
    if (k != key) continue;
    if (t.sizes != shape) {
      model::RawTensor want;
      want.sizes = shape;
      throw Error(source + ": " + key + ": shape " + t.shape() + " in the state dict, " + want.shape() + " in the model");
    }
    used.insert(key);
    return t.floats();
  }
  throw Error(source + ": state dict does not match the model: missing key " + key);
}

// A key that must be there (its value unused).
void take_present(const model::RawState& state, std::set<std::string>& used, const std::string& key,
                  const std::string& source) {
  for (const auto& item : state)
    if (item.first == key) {
      used.insert(key);
      return;
    }
  throw Error(source + ": state dict does not match the model: missing key " + key);
}

}  // namespace

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
  std::set<std::string> used;
  const int w = cfg_.width;
  const int widths[5] = {cfg_.in_channels, w, 2 * w, 4 * w, 4 * w};
  for (int i = 0; i < 4; ++i) {
    // NativeNet's trunk: Conv2d (no bias) at index 4i, BatchNorm2d (eps 1e-5) at 4i + 1.
    const std::string conv = prefix + "trunk." + std::to_string(4 * i) + ".", bn = prefix + "trunk." + std::to_string(4 * i + 1) + ".";
    Conv c;
    c.in = widths[i];
    c.out = widths[i + 1];
    c.weight = take(state, used, conv + "weight", {c.out, c.in, 3, 3}, source);
    const auto gamma = take(state, used, bn + "weight", {c.out}, source);
    const auto beta = take(state, used, bn + "bias", {c.out}, source);
    const auto mean = take(state, used, bn + "running_mean", {c.out}, source);
    const auto var = take(state, used, bn + "running_var", {c.out}, source);
    take_present(state, used, bn + "num_batches_tracked", source);  // a buffer load_into requires too
    // As FoldedConv::fold, in float: w' = w g / sqrt(var + eps), b' = (0 - mean) g / sqrt(var + eps) + beta.
    c.bias.resize(size_t(c.out));
    for (int o = 0; o < c.out; ++o) {
      const float scale = gamma[size_t(o)] / std::sqrt(var[size_t(o)] + 1e-5f);
      for (size_t k = 0; k < size_t(c.in) * 9; ++k) c.weight[size_t(o) * size_t(c.in) * 9 + k] *= scale;
      c.bias[size_t(o)] = (0.f - mean[size_t(o)]) * scale + beta[size_t(o)];
    }
    convs_.push_back(std::move(c));
  }
  head_w_ = take(state, used, prefix + "head.weight", {cfg_.n_classes, 4 * w}, source);
  head_b_ = take(state, used, prefix + "head.bias", {cfg_.n_classes}, source);
  if (cfg_.cycle_states > 0) {  // the heart-cycle head shaped the trunk in training; answers never use it
    take_present(state, used, prefix + "cycle.weight", source);
    take_present(state, used, prefix + "cycle.bias", source);
  }
  std::string unexpected;
  for (const auto& [k, t] : state)
    if (k.rfind(prefix, 0) == 0 && !used.count(k)) unexpected += (unexpected.empty() ? "" : ", ") + k;
  if (!unexpected.empty())
    throw Error(source + ": state dict does not match the model: unexpected keys [" + unexpected + "]");
}

std::vector<std::vector<float>> NativeEngine::window_logits(const std::vector<float>& x, int n_mels, int frames,
                                                            int window_frames, int hop_frames) const {
  if (n_mels < 1 || frames < 1 || x.size() != size_t(cfg_.in_channels) * size_t(n_mels) * size_t(frames))
    throw Error("NativeNet: expected " + std::to_string(cfg_.in_channels) + " x n_mels x frames inputs");
  const dnnl::engine& eng = cpu();
  dnnl::stream stream(eng);
  int64_t h = n_mels, t = frames;
  memory cur({{1, cfg_.in_channels, h, t}, kF32, Tag::nchw}, eng, const_cast<float*>(x.data()));
  for (size_t i = 0; i < convs_.size(); ++i) {
    const Conv& c = convs_[i];
    const memory::desc dst_any({1, c.out, h, t}, kF32, Tag::any);
    dnnl::post_ops relu;
    relu.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
    dnnl::primitive_attr attr;
    attr.set_post_ops(relu);
    const memory::dims one{1, 1};
    const dnnl::convolution_forward::desc conv(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                               cur.get_desc(), memory::desc({c.out, c.in, 3, 3}, kF32, Tag::any),
                                               memory::desc({c.out}, kF32, Tag::x), dst_any, one, one, one);
    const dnnl::convolution_forward::primitive_desc pd(conv, attr, eng);
    if (pd.src_desc() != cur.get_desc()) {
      memory src(pd.src_desc(), eng);
      dnnl::reorder(cur, src).execute(stream, cur, src);
      cur = src;
    }
    memory user_w({{c.out, c.in, 3, 3}, kF32, Tag::oihw}, eng, const_cast<float*>(c.weight.data()));
    memory weights = user_w;
    if (pd.weights_desc() != user_w.get_desc()) {
      weights = memory(pd.weights_desc(), eng);
      dnnl::reorder(user_w, weights).execute(stream, user_w, weights);
    }
    memory bias({{c.out}, kF32, Tag::x}, eng, const_cast<float*>(c.bias.data()));
    memory dst(pd.dst_desc(), eng);
    dnnl::convolution_forward(pd).execute(
        stream, {{DNNL_ARG_SRC, cur}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_BIAS, bias}, {DNNL_ARG_DST, dst}});
    cur = dst;
    if (i + 1 == convs_.size()) break;
    // max_pool2d(2): floor of each size halved, as LibTorch.
    if (h < 2 || t < 2)
      throw Error("NativeNet: an input of " + std::to_string(frames) + " frames is too short for the trunk's pooling");
    h /= 2;
    t /= 2;
    const memory::dims two{2, 2}, none{0, 0};
    const dnnl::pooling_forward::desc max2(dnnl::prop_kind::forward_inference, dnnl::algorithm::pooling_max,
                                           cur.get_desc(), memory::desc({1, c.out, h, t}, kF32, Tag::any), two, two,
                                           none, none);
    const dnnl::pooling_forward::primitive_desc pool(max2, eng);
    memory pooled(pool.dst_desc(), eng);
    dnnl::pooling_forward(pool).execute(stream, {{DNNL_ARG_SRC, cur}, {DNNL_ARG_DST, pooled}});
    cur = pooled;
  }
  const int64_t channels = convs_.back().out;
  memory plain({{1, channels, h, t}, kF32, Tag::nchw}, eng);
  dnnl::reorder(cur, plain).execute(stream, cur, plain);
  stream.wait();

  // The mean over frequency, then the mean feature of each window (avg_pool1d), then the head.
  const float* y = static_cast<const float*>(plain.get_data_handle());
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
