#include "infer/conv_trunk.h"

#include <oneapi/dnnl/dnnl.hpp>

#include <cmath>
#include <utility>

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

// The convolution of one block with its ReLU fused; `cur` becomes its output (oneDNN's layout).
void convolve(const ConvBlock& c, memory& cur, int64_t h, int64_t w, dnnl::stream& stream) {
  const dnnl::engine& eng = cpu();
  dnnl::post_ops relu;
  relu.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
  dnnl::primitive_attr attr;
  attr.set_post_ops(relu);
  const memory::dims one{1, 1};
  const dnnl::convolution_forward::desc conv(
      dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, cur.get_desc(),
      memory::desc({c.out, c.in, 3, 3}, kF32, Tag::any), memory::desc({c.out}, kF32, Tag::x),
      memory::desc({1, c.out, h, w}, kF32, Tag::any), one, one, one);
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
}

}  // namespace

StateTaker::StateTaker(const model::RawState& state, std::string prefix, std::string source)
    : state_(state), prefix_(std::move(prefix)), source_(std::move(source)) {}

const model::RawTensor& StateTaker::find(const std::string& key) {
  for (const auto& [k, t] : state_)
    if (k == prefix_ + key) {
      used_.insert(k);
      return t;
    }
  throw Error(source_ + ": state dict does not match the model: missing key " + prefix_ + key);
}

std::vector<float> StateTaker::floats(const std::string& key, const std::vector<int64_t>& shape) {
  const model::RawTensor& t = find(key);
  if (t.sizes != shape) {
    model::RawTensor want;
    want.sizes = shape;
    throw Error(source_ + ": " + prefix_ + key + ": shape " + t.shape() + " in the state dict, " + want.shape() +
                " in the model");
  }
  return t.floats();
}

void StateTaker::present(const std::string& key) { find(key); }

void StateTaker::check_all_used() const {
  std::string unexpected;
  for (const auto& [k, t] : state_)
    if (k.rfind(prefix_, 0) == 0 && !used_.count(k)) unexpected += (unexpected.empty() ? "" : ", ") + k;
  if (!unexpected.empty())
    throw Error(source_ + ": state dict does not match the model: unexpected keys [" + unexpected + "]");
}

ConvBlock fold_conv_bn(StateTaker& take, const std::string& conv, const std::string& bn, int in, int out,
                       bool conv_bias, bool pool_after) {
  ConvBlock c;
  c.in = in;
  c.out = out;
  c.pool_after = pool_after;
  c.weight = take.floats(conv + "weight", {out, in, 3, 3});
  const auto b = conv_bias ? take.floats(conv + "bias", {out}) : std::vector<float>(size_t(out), 0.f);
  const auto gamma = take.floats(bn + "weight", {out});
  const auto beta = take.floats(bn + "bias", {out});
  const auto mean = take.floats(bn + "running_mean", {out});
  const auto var = take.floats(bn + "running_var", {out});
  take.present(bn + "num_batches_tracked");  // a buffer load_into requires too
  c.bias.resize(size_t(out));
  for (size_t o = 0; o < size_t(out); ++o) {
    const float scale = gamma[o] / std::sqrt(var[o] + 1e-5f);
    for (size_t k = 0; k < size_t(in) * 9; ++k) c.weight[o * size_t(in) * 9 + k] *= scale;
    c.bias[o] = (b[o] - mean[o]) * scale + beta[o];
  }
  return c;
}

Planes run_conv_trunk(const std::vector<ConvBlock>& blocks, PlanesView x, const std::string& who) {
  if (blocks.empty() || x.channels != blocks.front().in || x.height < 1 || x.width < 1)
    throw Error(who + ": expected an input of " + std::to_string(blocks.empty() ? 0 : blocks.front().in) +
                " channels, got " + std::to_string(x.channels) + " x " + std::to_string(x.height) + " x " +
                std::to_string(x.width));
  const dnnl::engine& eng = cpu();
  dnnl::stream stream(eng);
  int64_t h = x.height, w = x.width;
  memory cur({{1, x.channels, h, w}, kF32, Tag::nchw}, eng, const_cast<float*>(x.data));
  for (const ConvBlock& c : blocks) {
    convolve(c, cur, h, w, stream);
    if (!c.pool_after) continue;
    // max_pool2d(2): floor of each size halved, as LibTorch.
    if (h < 2 || w < 2)
      throw Error(who + ": an input of " + std::to_string(x.height) + " x " + std::to_string(x.width) +
                  " is too small for the trunk's pooling");
    h /= 2;
    w /= 2;
    const memory::dims two{2, 2}, none{0, 0};
    const dnnl::pooling_forward::desc max2(dnnl::prop_kind::forward_inference, dnnl::algorithm::pooling_max,
                                           cur.get_desc(), memory::desc({1, c.out, h, w}, kF32, Tag::any), two, two,
                                           none, none);
    const dnnl::pooling_forward::primitive_desc pool(max2, eng);
    memory pooled(pool.dst_desc(), eng);
    dnnl::pooling_forward(pool).execute(stream, {{DNNL_ARG_SRC, cur}, {DNNL_ARG_DST, pooled}});
    cur = pooled;
  }
  Planes out;
  out.channels = blocks.back().out;
  out.height = h;
  out.width = w;
  out.data.resize(size_t(out.channels * h * w));
  memory plain({{1, out.channels, h, w}, kF32, Tag::nchw}, eng, out.data.data());
  dnnl::reorder(cur, plain).execute(stream, cur, plain);
  stream.wait();
  return out;
}

}  // namespace murmur::infer
