// The log-mel's FFT (features/fft.h): every backend of the build against a direct DFT in double
// precision, and a plan shared by threads gives each the same bits as one thread alone.
#include "features/fft.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <thread>

#include "features/log_mel.h"
#include "util/error.h"

using murmur::features::FftBackend;
using murmur::features::RealFft;

namespace {

std::vector<float> noise(int n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.f, 1.f);
  std::vector<float> x(static_cast<size_t>(n));
  for (float& v : x) v = d(rng);
  return x;
}

// max |X - DFT(x)| over the bins, relative to the largest |DFT(x)|.
double relative_error(const std::complex<float>* got, const std::vector<float>& x) {
  const int n = int(x.size());
  double worst = 0, peak = 0;
  for (int k = 0; k <= n / 2; ++k) {
    std::complex<double> want = 0;
    for (int i = 0; i < n; ++i) want += double(x[size_t(i)]) * std::polar(1.0, -2.0 * M_PI * double(k) * i / n);
    peak = std::max(peak, std::abs(want));
    worst = std::max(worst, std::abs(std::complex<double>(got[k]) - want));
  }
  return worst / peak;
}

}  // namespace

TEST(Fft, EveryBackendMatchesADirectDft) {
  const auto backends = murmur::features::fft_backends();
#ifdef MURMUR_TEST_EXPECTS_FFTW
  EXPECT_EQ(murmur::features::default_fft_backend(), FftBackend::kFftw);
#endif
  for (FftBackend b : backends)
    for (int n : {16, 18, 512, 1000, 2048}) {  // powers of two and mixed radices
      RealFft fft(n, b);
      const std::vector<float> x = noise(n, unsigned(n));
      std::copy(x.begin(), x.end(), fft.input());
      const std::complex<float>* bins = fft.forward();
      EXPECT_LT(relative_error(bins, x), 2e-6) << murmur::features::fft_backend_name(b) << ", n " << n;
      EXPECT_EQ(fft.input()[n - 1], x.back()) << "the input is kept";
      // A band alone: the same bins, bit for bit.
      const std::vector<std::complex<float>> all(bins, bins + n / 2 + 1);
      const std::complex<float>* band = fft.forward(n / 8, n / 4 + 1);
      for (int k = n / 8; k < n / 4 + 1; ++k) EXPECT_EQ(band[k], all[size_t(k)]) << "bin " << k;
    }
}

TEST(Fft, RefusesOddSizesAndBinsOutside) {
  for (FftBackend b : murmur::features::fft_backends()) {
    EXPECT_THROW(RealFft(511, b), murmur::Error);
    EXPECT_THROW(RealFft(0, b), murmur::Error);
    RealFft fft(16, b);
    EXPECT_THROW(fft.forward(0, 10), murmur::Error);  // 9 bins
    EXPECT_THROW(fft.forward(5, 4), murmur::Error);
  }
}

// Threads planning new sizes at once and sharing one plan: every result equals one thread's.
TEST(Fft, ThreadsShareAPlanAndGetTheSameBits) {
  murmur::features::LogMelConfig cfg;
  cfg.sample_rate_hz = 4000, cfg.n_fft = 768, cfg.hop = 96, cfg.n_mels = 24, cfg.fmax_hz = 800;
  const std::vector<float> pcm = noise(4000 * 3, 7);
  std::vector<murmur::features::Matrix> got(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < got.size(); ++t)
    threads.emplace_back([&, t] { got[t] = murmur::features::log_mel(pcm, cfg); });
  for (auto& th : threads) th.join();
  const murmur::features::Matrix alone = murmur::features::log_mel(pcm, cfg);
  for (const auto& m : got) EXPECT_EQ(m.data, alone.data);
}
