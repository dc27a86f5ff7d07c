// EfficientAT's MobileNetV3 audio encoder ("mn04_as": width 0.4, 993,485 parameters, trained on
// AudioSet; Schmid, Koutini, Widmer, ICASSP 2023), written for murmur from the published
// architecture, with the frontend it was trained on. State-dict keys are the original's, so the
// authors' checkpoint loads strictly with model::load_into.
//
//   EfficientAt net(EfficientAtConfig{});                       // mn04: width 0.4, 527 outputs
//   model::load_into(*net, read_state_dict("efficientat_mn04_as.pt"), "mn04");
//   net->eval();
//   torch::Tensor mel = efficientat_mel(pcm_32k, EfficientAtMelConfig{});   // [1, 128, frames]
//   auto [logits, embedding] = net->forward(mel.unsqueeze(0));  // [1, 527], [1, 384]
//
// Frontend (as trained): pre-emphasis y[n] = x[n+1] - 0.97 x[n]; STFT n_fft 1024 with a
// symmetric Hann window of 800 samples centred in it, hop 320, centre padding by reflection;
// power; Kaldi's triangular mel banks (128, 0-15,000 Hz, mel = 1127 ln(1 + f/700)); log(mel +
// 1e-5); then (x + 4.5) / 5. Network: a 3x3 stride-2 stem, 15 inverted-residual blocks
// (expand 1x1, depthwise k x k, channel squeeze-excitation where the paper has it, project 1x1),
// a 1x1 convolution to 6x the last width, then global average pooling (the embedding) and the
// MLP head (Linear, Hardswish, Dropout, Linear). Every BatchNorm has eps 0.001.
#pragma once

#include <torch/torch.h>

#include <string>
#include <utility>

namespace murmur::model {

struct EfficientAtConfig {
  double width = 0.4;        // channel multiplier of MobileNetV3 (mn04)
  int n_classes = 527;       // AudioSet's classes
  int head_channels = 1280;  // before the width multiplier: the MLP head's hidden size (512 at 0.4)
  double dropout = 0.2;      // in the MLP head
  void validate(const std::string& section = "efficientat") const;  // "section.field: rule (got v)"
};

struct EfficientAtMelConfig {
  int sample_rate_hz = 32000;
  int n_fft = 1024;
  int window = 800;           // symmetric Hann, centred in n_fft
  int hop = 320;              // 10 ms
  int n_mels = 128;
  double fmin_hz = 0;
  double fmax_hz = 15000;     // sample_rate / 2 - 1000 (the original's default)
  double preemphasis = 0.97;
  int keep_bands = 0;         // > 0: only the lowest keep_bands bands (56 reach 2.07 kHz); 0 = all
};

// The frontend above: pcm [N] or [B, N] float at cfg.sample_rate_hz -> [B, bands, frames]
// (bands = keep_bands or n_mels)
// (frames = (N - 1) / hop + 1; a 1-D input gives B = 1).
torch::Tensor efficientat_mel(const torch::Tensor& pcm, const EfficientAtMelConfig& cfg = {});
// Kaldi's mel banks as the frontend uses them: [n_mels, n_fft / 2 + 1] (the last column zero).
torch::Tensor kaldi_mel_banks(const EfficientAtMelConfig& cfg);

// The width multiplier's rounding: v * width to a multiple of 8, at least 8, never below 90%.
int efficientat_channels(double v, double width);

class EfficientAtImpl : public torch::nn::Module {
 public:
  explicit EfficientAtImpl(const EfficientAtConfig& cfg = {});
  // x [B, 1, n_mels, frames] -> {logits [B, n_classes], embedding [B, embedding_size()]}.
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x);
  torch::Tensor feature_map(const torch::Tensor& x);  // [B, embedding_size(), F/32, T/32]
  torch::Tensor head(const torch::Tensor& embedding);  // [..., embedding_size()] -> [..., n_classes]
  static constexpr int kTimeStride = 32;               // input frames per feature-map frame
  std::string output_layer() const;                     // "classifier.N.": the head's last Linear (n_classes)
  int64_t embedding_size() const { return embedding_size_; }

 private:
  torch::nn::Sequential features_{nullptr};
  torch::nn::Sequential classifier_{nullptr};
  int64_t embedding_size_ = 0;
};
TORCH_MODULE(EfficientAt);

}  // namespace murmur::model
