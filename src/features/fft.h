// Real-input FFT of one fixed size: the transform under every log-mel frame.
//
//   murmur::features::RealFft fft(512);                 // the plan for 512 points, made once
//   std::copy(frame, frame + 512, fft.input());
//   const std::complex<float>* bins = fft.forward();    // 257 bins: X[k] = sum_n x[n] e^{-2 pi i k n / N}
//
// Two backends, the same transform:
// - FFTW (single precision), when the build has it (CMake option MURMUR_FFTW, on by default): a
//   complex FFT of n/2 points and a split pass (fft.cpp). Plans are made with FFTW_ESTIMATE, which
//   picks the same plan on every run (FFTW_MEASURE times candidates and could pick another plan,
//   so other bits, from run to run). One plan per size for the whole process, shared by every
//   thread: FFTW's planner is not thread-safe and runs under a mutex; executing a plan is
//   thread-safe, each RealFft with its own buffers.
//   FFTW is GPL-2+: a murmur built with it is distributed under the GPL's terms.
// - kissfft (BSD), the build without FFTW (-DMURMUR_FFTW=OFF) and the check of the other.
// A RealFft is one thread's: make one per thread (cheap: the plan is shared).
#pragma once

#include <complex>
#include <memory>
#include <vector>

namespace murmur::features {

enum class FftBackend { kFftw, kKiss };

FftBackend default_fft_backend();            // FFTW when the build has it, else kissfft
std::vector<FftBackend> fft_backends();      // the backends this build has, default first
const char* fft_backend_name(FftBackend b);  // "fftw", "kissfft"

class RealFft {
 public:
  // n even, >= 2. kFftw in a build without FFTW computes with kissfft.
  explicit RealFft(int n, FftBackend backend = default_fft_backend());
  ~RealFft();
  RealFft(const RealFft&) = delete;
  RealFft& operator=(const RealFft&) = delete;

  int size() const { return n_; }
  float* input();                      // n samples, to be filled before forward()
  const std::complex<float>* forward();  // n/2 + 1 bins of input()'s DFT (input() is kept)
  // Only bins [first_bin, end_bin) are sure to be computed (a log-mel needs its band's alone).
  const std::complex<float>* forward(int first_bin, int end_bin);

  struct Impl;  // a backend (fft.cpp)

 private:
  int n_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace murmur::features
