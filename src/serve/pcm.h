// Raw PCM as it arrives on a pipe (murmur stream reads stdin): interleaved frames of s16le or
// f32le samples, mixed to mono floats in [-1, 1] by the mean of the channels.
//
//   PcmDecoder pcm("s16le", /*channels=*/2);
//   std::vector<float> mono;
//   size_t used = pcm.decode(bytes, n_bytes, mono);   // whole frames only; keep the rest
//
// A frame with a non-finite float sample mixes to NaN (and is counted, non_finite()), so the
// quality gate rates its windows "non-finite" instead of classifying zeros in its place.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace murmur::serve {

class PcmDecoder {
 public:
  PcmDecoder(const std::string& format, int channels);  // murmur::Error for other formats
  size_t frame_bytes() const { return frame_bytes_; }
  // Decodes the whole frames of bytes[0, n) into mono (resized); returns the bytes used.
  size_t decode(const char* bytes, size_t n, std::vector<float>& mono);
  size_t non_finite() const { return non_finite_; }

 private:
  bool s16_;
  int channels_;
  size_t frame_bytes_;
  size_t non_finite_ = 0;
};

}  // namespace murmur::serve
