// NativeNet's settings (section "net"), apart from the network so that LibTorch-free inference
// (infer/native_engine.h) reads the same JSON with the same defaults and checks.
//
//   NativeNetConfig c = j.at("net").get<NativeNetConfig>();   // validated
//   c.width                                                   // channels of the first block
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

namespace murmur::model {

struct NativeNetConfig {
  int width = 16;          // channels of the first block
  double dropout = 0.3;    // before the linear head
  int n_classes = 5;
  // Input channels: 1 (log-mel), or 3 with the cardiac-phase channels (native.phase_channels).
  // Derived from the preset's features, not a setting of its own, so not in the JSON.
  int in_channels = 1;
  // States of the frame-level heart-cycle head ("cycle", a 1x1 convolution over the trunk's time
  // steps): 4 (S1, systole, S2, diastole) when native.cycle_weight > 0, else 0 (no head). Derived
  // like in_channels.
  int cycle_states = 0;
  void validate(const std::string& section = "net") const;  // "net.field: rule (got v)"
};

void to_json(nlohmann::json& j, const NativeNetConfig& c);
void from_json(const nlohmann::json& j, NativeNetConfig& c);

// Time downsampling of the trunk (three 2x poolings).
inline constexpr int kNativeTimeStride = 8;

}  // namespace murmur::model
