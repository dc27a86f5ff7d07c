#include "serve/pcm.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "util/check.h"

namespace murmur::serve {

PcmDecoder::PcmDecoder(const std::string& format, int channels) : s16_(format == "s16le"), channels_(channels) {
  util::check_setting(format == "s16le" || format == "f32le", "--format", "must be s16le or f32le", format);
  util::check_setting(channels >= 1 && channels <= 16, "--channels", "must be in [1, 16]", channels);
  frame_bytes_ = size_t(channels) * (s16_ ? 2 : 4);
}

size_t PcmDecoder::decode(const char* bytes, size_t n, std::vector<float>& out) {
  const size_t n_frames = n / frame_bytes_;
  out.resize(n_frames);
  for (size_t f = 0; f < n_frames; ++f) {
    double sum = 0;
    for (int c = 0; c < channels_; ++c) {
      size_t i = f * size_t(channels_) + size_t(c);
      if (s16_) {
        int16_t v;
        std::memcpy(&v, bytes + i * 2, 2);
        sum += v / 32768.0;
      } else {
        float v;
        std::memcpy(&v, bytes + i * 4, 4);
        if (!std::isfinite(v)) {
          ++non_finite_;
          sum = std::numeric_limits<double>::quiet_NaN();  // stays NaN whatever the other channels
        }
        sum += std::isfinite(v) ? std::clamp(v, -1.f, 1.f) : 0.f;
      }
    }
    out[f] = float(sum / channels_);
  }
  return n_frames * frame_bytes_;
}

}  // namespace murmur::serve
