#include "model/efficientat.h"

#include <algorithm>
#include <cmath>

#include "util/check.h"
#include "util/error.h"

namespace murmur::model {
namespace {

// One inverted-residual block of MobileNetV3 (Table 1 of Howard et al. 2019), before the width
// multiplier: input, kernel, expanded and output channels, squeeze-excitation, Hardswish (else
// ReLU), stride.
struct BlockSpec {
  int in, kernel, expanded, out;
  bool se, hardswish;
  int stride;
};

constexpr BlockSpec kBlocks[] = {
    {16, 3, 16, 16, false, false, 1},   {16, 3, 64, 24, false, false, 2},   {24, 3, 72, 24, false, false, 1},
    {24, 5, 72, 40, true, false, 2},    {40, 5, 120, 40, true, false, 1},   {40, 5, 120, 40, true, false, 1},
    {40, 3, 240, 80, false, true, 2},   {80, 3, 200, 80, false, true, 1},   {80, 3, 184, 80, false, true, 1},
    {80, 3, 184, 80, false, true, 1},   {80, 3, 480, 112, true, true, 1},   {112, 3, 672, 112, true, true, 1},
    {112, 5, 672, 160, true, true, 2},  {160, 5, 960, 160, true, true, 1},  {160, 5, 960, 160, true, true, 1},
};

torch::nn::Functional activation(bool hardswish) {
  return hardswish ? torch::nn::Functional([](const torch::Tensor& x) { return torch::hardswish(x); })
                   : torch::nn::Functional([](const torch::Tensor& x) { return torch::relu(x); });
}

// A Sequential that can sit inside another (LibTorch's own has a templated forward).
struct ConvNormImpl : torch::nn::SequentialImpl {
  using SequentialImpl::SequentialImpl;
  torch::Tensor forward(const torch::Tensor& x) { return SequentialImpl::forward(x); }
};
TORCH_MODULE(ConvNorm);

// Conv (no bias) -> BatchNorm (eps 0.001) [-> activation]: torchvision's ConvNormActivation.
// act: 1 Hardswish, 0 ReLU, -1 none.
ConvNorm conv_norm(int in, int out, int kernel, int stride, int groups, int act) {
  ConvNorm s;
  s->push_back(torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding((kernel - 1) / 2).groups(groups).bias(false)));
  s->push_back(torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(out).eps(0.001).momentum(0.01)));
  if (act >= 0) s->push_back(activation(act == 1));
  return s;
}

// Channel squeeze-excitation: mean over frequency and time, Linear -> ReLU -> Linear -> sigmoid,
// scaling each channel. The original wraps it in a list of "concurrent" layers (here one, over
// channels), merged by max: the identity for one.
struct SqueezeExcitationImpl : torch::nn::Module {
  SqueezeExcitationImpl(int channels, int squeezed)
      : fc1(register_module("fc1", torch::nn::Linear(channels, squeezed))),
        fc2(register_module("fc2", torch::nn::Linear(squeezed, channels))) {}
  torch::Tensor forward(const torch::Tensor& x) {
    auto s = x.mean({2, 3});
    s = torch::sigmoid(fc2(torch::relu(fc1(s))));
    return x * s.unsqueeze(-1).unsqueeze(-1);
  }
  torch::nn::Linear fc1, fc2;
};
TORCH_MODULE(SqueezeExcitation);

struct ConcurrentSeImpl : torch::nn::Module {
  ConcurrentSeImpl(int channels, int squeezed) {
    layers->push_back(SqueezeExcitation(channels, squeezed));
    register_module("conc_se_layers", layers);
  }
  torch::Tensor forward(const torch::Tensor& x) { return layers[0]->as<SqueezeExcitationImpl>()->forward(x); }
  torch::nn::ModuleList layers;
};
TORCH_MODULE(ConcurrentSe);

struct InvertedResidualImpl : torch::nn::Module {
  InvertedResidualImpl(const BlockSpec& b, double width) {
    const int in = efficientat_channels(b.in, width), mid = efficientat_channels(b.expanded, width),
              out = efficientat_channels(b.out, width), act = b.hardswish ? 1 : 0;
    if (mid != in) block->push_back(conv_norm(in, mid, 1, 1, 1, act));
    block->push_back(conv_norm(mid, mid, b.kernel, b.stride, mid, act));
    if (b.se) block->push_back(ConcurrentSe(mid, efficientat_channels(mid / 4, 1.0)));
    block->push_back(conv_norm(mid, out, 1, 1, 1, -1));
    residual = b.stride == 1 && in == out;
    register_module("block", block);
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto y = block->forward(x);
    return residual ? y + x : y;
  }
  torch::nn::Sequential block;
  bool residual = false;
};
TORCH_MODULE(InvertedResidual);

}  // namespace

void EfficientAtConfig::validate(const std::string& section) const {
  util::check_setting(width > 0 && width <= 4, section + ".width", "must be in (0, 4]", width);
  util::check_setting(n_classes >= 1, section + ".n_classes", "must be >= 1", n_classes);
  util::check_setting(head_channels >= 8, section + ".head_channels", "must be >= 8", head_channels);
  util::check_setting(dropout >= 0 && dropout < 1, section + ".dropout", "must be in [0, 1)", dropout);
}

int efficientat_channels(double v, double width) {
  const double x = v * width;
  int r = std::max(8, int(x + 4) / 8 * 8);
  if (r < 0.9 * x) r += 8;
  return r;
}

EfficientAtImpl::EfficientAtImpl(const EfficientAtConfig& cfg) {
  cfg.validate();
  features_ = torch::nn::Sequential();
  features_->push_back(conv_norm(1, efficientat_channels(kBlocks[0].in, cfg.width), 3, 2, 1, 1));
  for (const auto& b : kBlocks) features_->push_back(InvertedResidual(b, cfg.width));
  const int last = efficientat_channels(kBlocks[std::size(kBlocks) - 1].out, cfg.width);
  embedding_size_ = 6 * last;
  features_->push_back(conv_norm(last, int(embedding_size_), 1, 1, 1, 1));
  const int hidden = efficientat_channels(cfg.head_channels, cfg.width);
  classifier_ = torch::nn::Sequential(torch::nn::AdaptiveAvgPool2d(1), torch::nn::Flatten(),
                                      torch::nn::Linear(embedding_size_, hidden), activation(true),
                                      torch::nn::Dropout(cfg.dropout), torch::nn::Linear(hidden, cfg.n_classes));
  register_module("features", features_);
  register_module("classifier", classifier_);
  // The original's initialisation, for training from scratch.
  for (auto& m : modules(false)) {
    if (auto* c = m->as<torch::nn::Conv2dImpl>()) {
      torch::nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut);
    } else if (auto* bn = m->as<torch::nn::BatchNorm2dImpl>()) {
      torch::nn::init::ones_(bn->weight);
      torch::nn::init::zeros_(bn->bias);
    } else if (auto* l = m->as<torch::nn::LinearImpl>()) {
      torch::nn::init::normal_(l->weight, 0, 0.01);
      torch::nn::init::zeros_(l->bias);
    }
  }
}

torch::Tensor EfficientAtImpl::feature_map(const torch::Tensor& x) {
  if (x.dim() != 4 || x.size(1) != 1)
    throw Error("EfficientAt: expected input [B, 1, mels, frames], got " + c10::str(x.sizes()));
  return features_->forward(x);
}

torch::Tensor EfficientAtImpl::head(const torch::Tensor& embedding) {
  auto y = embedding;
  for (auto it = classifier_->begin() + 2; it != classifier_->end(); ++it) y = it->forward(y);  // after pool, flatten
  return y;
}

std::string EfficientAtImpl::output_layer() const {
  return "classifier." + std::to_string(classifier_->size() - 1) + ".";
}

std::pair<torch::Tensor, torch::Tensor> EfficientAtImpl::forward(const torch::Tensor& x) {
  auto h = feature_map(x);
  return {classifier_->forward(h), h.mean({2, 3})};
}

torch::Tensor kaldi_mel_banks(const EfficientAtMelConfig& cfg) {
  // torchaudio.compliance.kaldi.get_mel_banks without vocal-tract warping, in float32 as there.
  auto mel = [](const torch::Tensor& f) { return 1127.0 * (1.0 + f / 700.0).log(); };
  const int64_t bins = cfg.n_fft / 2;
  const double lo = 1127.0 * std::log(1.0 + cfg.fmin_hz / 700.0), hi = 1127.0 * std::log(1.0 + cfg.fmax_hz / 700.0);
  const double delta = (hi - lo) / (cfg.n_mels + 1);
  auto b = torch::arange(cfg.n_mels, torch::kFloat).unsqueeze(1);
  auto left = lo + b * delta, centre = lo + (b + 1.0) * delta, right = lo + (b + 2.0) * delta;
  auto m = mel(double(cfg.sample_rate_hz) / cfg.n_fft * torch::arange(bins, torch::kFloat)).unsqueeze(0);
  auto up = (m - left) / (centre - left), down = (right - m) / (right - centre);
  auto banks = torch::clamp_min(torch::min(up, down), 0.0);
  return torch::constant_pad_nd(banks, {0, 1}, 0.0);
}

torch::Tensor efficientat_mel(const torch::Tensor& pcm, const EfficientAtMelConfig& cfg) {
  auto x = pcm.dim() == 1 ? pcm.unsqueeze(0) : pcm;
  if (x.dim() != 2 || x.size(1) < cfg.n_fft / 2 + 2)
    throw Error("efficientat_mel: expected [N] or [B, N] samples with N >= " + std::to_string(cfg.n_fft / 2 + 2) +
                ", got " + c10::str(pcm.sizes()));
  x = x.to(torch::kFloat);
  // Pre-emphasis as the original's conv1d with kernel [-0.97, 1].
  auto kernel = torch::tensor({float(-cfg.preemphasis), 1.0f}).view({1, 1, 2});
  x = torch::conv1d(x.unsqueeze(1), kernel).squeeze(1);
  auto spec = torch::stft(x, cfg.n_fft, cfg.hop, cfg.window, torch::hann_window(cfg.window, /*periodic=*/false),
                          /*center=*/true, "reflect", /*normalized=*/false, /*onesided=*/true,
                          /*return_complex=*/true);
  // The projection as a sparse product: each band is a triangle over a few FFT bins (948 of the
  // 65,664 weights are nonzero), so summing only those is ~70x less work than the dense matmul
  // (which took 60 ms of a 20 s recording on one thread); the sums agree within float rounding.
  // The power is taken only up to the highest bin a kept band reaches.
  const auto banks = kaldi_mel_banks(cfg).contiguous();
  const auto w = banks.accessor<float, 2>();
  const int64_t n_bands = cfg.keep_bands > 0 ? std::min<int64_t>(cfg.keep_bands, banks.size(0)) : banks.size(0);
  std::vector<std::pair<int64_t, int64_t>> support(size_t(n_bands), {0, 0});  // [lo, hi) bins per band
  for (int64_t b = 0; b < n_bands; ++b)
    for (int64_t k = 0; k < banks.size(1); ++k)
      if (w[b][k] != 0) support[size_t(b)] = {support[size_t(b)].second == 0 ? k : support[size_t(b)].first, k + 1};
  int64_t top = 1;
  for (const auto& [lo, hi] : support) top = std::max(top, hi);
  auto power = torch::view_as_real(spec.slice(1, 0, top)).pow(2).sum(-1);  // [B, bins up to top, frames]
  std::vector<torch::Tensor> bands;
  for (int64_t b = 0; b < n_bands; ++b) {
    const auto [lo, hi] = support[size_t(b)];
    bands.push_back(hi == 0 ? torch::zeros({power.size(0), power.size(2)})
                            : torch::matmul(banks[b].slice(0, lo, hi), power.slice(1, lo, hi)));  // [B, frames]
  }
  auto mel = torch::stack(bands, 1);
  return ((mel + 1e-5).log() + 4.5) / 5.0;
}

}  // namespace murmur::model
