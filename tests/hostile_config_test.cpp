// Settings that would allocate gigabytes are refused by validate() with the key, the rule and
// the value (issue 16 item 2: net.width 1e5, n_fft 2^30, n_mels 1e7 reached bad_alloc).
#include <gtest/gtest.h>

#include <string>

#include "audio/audio.h"
#include "features/log_mel.h"
#include "model/native_net.h"
#include "util/error.h"

namespace murmur {
namespace {

template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(HostileConfig, NetSizesBounded) {
  model::NativeNetConfig net;
  EXPECT_EQ(error_of([&] { net.validate(); }), "");
  net.width = 100000;
  EXPECT_EQ(error_of([&] { net.validate(); }), "net.width: must be at most 256 (got 100000)");
  net.width = 16;
  net.n_classes = 1 << 30;
  EXPECT_EQ(error_of([&] { net.validate(); }), "net.n_classes: must be at most 1000 (got 1073741824)");
  net.n_classes = 5;
  net.width = 100000;  // the constructor validates before building any layer
  EXPECT_EQ(error_of([&] { model::NativeNet n(net); }), "net.width: must be at most 256 (got 100000)");
}

TEST(HostileConfig, LogMelSizesBounded) {
  features::LogMelConfig cfg;
  EXPECT_EQ(error_of([&] { cfg.validate(); }), "");
  cfg.n_fft = 1 << 30;
  EXPECT_EQ(error_of([&] { cfg.validate(); }), "log_mel.n_fft: must be at most 65536 (got 1073741824)");
  EXPECT_EQ(error_of([&] { features::mel_filterbank(cfg); }), "log_mel.n_fft: must be at most 65536 (got 1073741824)");
  cfg.n_fft = 2048;
  cfg.n_mels = 10000000;
  EXPECT_EQ(error_of([&] { features::mel_filterbank(cfg); }), "log_mel.n_mels: must be at most 512 (got 10000000)");
  cfg.n_mels = 30;
  cfg.hop = 1 << 30;
  EXPECT_EQ(error_of([&] { cfg.validate(); }), "log_mel.hop: must be at most 65536 (got 1073741824)");
  cfg.hop = 512;
  cfg.sample_rate_hz = 1 << 30;
  EXPECT_EQ(error_of([&] { cfg.validate(); }), "log_mel.sample_rate_hz: must be at most 384000 Hz (got 1073741824)");
}

}  // namespace
}  // namespace murmur
