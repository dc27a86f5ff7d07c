#include "features/fft.h"

#include <kiss_fftr.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <string>

#include "util/error.h"

#ifdef MURMUR_HAVE_FFTW
#include <fftw3.h>
#endif

namespace murmur::features {

// std::complex<float> is laid out as float[2] (C++ [complex.numbers]), as are kiss_fft_cpx and
// fftwf_complex: the backends' outputs are read in place.
static_assert(sizeof(kiss_fft_cpx) == sizeof(std::complex<float>));

struct RealFft::Impl {
  virtual ~Impl() = default;
  virtual float* input() = 0;
  virtual const std::complex<float>* forward(int first, int end) = 0;  // bins [first, end) at least
};

namespace {

struct KissImpl final : RealFft::Impl {
  struct Free {
    void operator()(kiss_fftr_state* s) const { kiss_fftr_free(s); }
  };
  std::unique_ptr<kiss_fftr_state, Free> plan;
  std::vector<float> in;
  std::vector<kiss_fft_cpx> out;

  explicit KissImpl(int n)
      : plan(kiss_fftr_alloc(n, 0, nullptr, nullptr)), in(size_t(n)), out(size_t(n / 2 + 1)) {
    if (!plan) throw Error("FFT: kissfft could not plan " + std::to_string(n) + " points");
  }
  float* input() override { return in.data(); }
  const std::complex<float>* forward(int, int) override {  // every bin
    kiss_fftr(plan.get(), in.data(), out.data());
    return reinterpret_cast<const std::complex<float>*>(out.data());
  }
};

#ifdef MURMUR_HAVE_FFTW
static_assert(sizeof(fftwf_complex) == sizeof(std::complex<float>));

// A real FFT of n = 2M points as a complex FFT of M points of z[m] = x[2m] + i x[2m+1] and one
// pass that splits the even and odd samples' spectra (the textbook method; FFTW's own r2c plan,
// FFTW_ESTIMATE, took 0.70 us for 512 points against this one's 0.39 us):
//   X[k] = E[k] + w^k O[k],  E[k] = (Z[k] + conj Z[M-k]) / 2,  O[k] = (Z[k] - conj Z[M-k]) / 2i,
//   w = e^{-2 pi i / n}, indices of Z modulo M.
struct HalfPlan {
  fftwf_plan complex_m = nullptr;                // M-point forward transform, out of place
  std::vector<float> twiddle_re, twiddle_im;     // w^k, k = 0..M
};

// One plan per size for the process, made under the planner's lock and never freed (a handful
// of sizes; FFTW keeps its own tables for them anyway).
const HalfPlan& shared_plan(int n) {
  static std::mutex planner;
  static std::map<int, HalfPlan> plans;
  std::lock_guard<std::mutex> lock(planner);
  auto it = plans.find(n);
  if (it != plans.end()) return it->second;
  const int m = n / 2;
  // Planned on buffers from fftwf_malloc, as every RealFft's are, so the plan's alignment
  // assumptions hold for them (FFTW_ESTIMATE does not write to the arrays).
  fftwf_complex* in = fftwf_alloc_complex(size_t(m));
  fftwf_complex* out = fftwf_alloc_complex(size_t(m));
  HalfPlan plan;
  if (in && out) plan.complex_m = fftwf_plan_dft_1d(m, in, out, FFTW_FORWARD, FFTW_ESTIMATE);
  fftwf_free(in);
  fftwf_free(out);
  if (!plan.complex_m) throw Error("FFT: FFTW could not plan " + std::to_string(n) + " points");
  for (int k = 0; k <= m; ++k) {
    plan.twiddle_re.push_back(float(std::cos(2.0 * M_PI * k / n)));
    plan.twiddle_im.push_back(float(-std::sin(2.0 * M_PI * k / n)));
  }
  return plans[n] = std::move(plan);
}

// X[k] for k in [first, end) from Z: the split pass above. Z is first copied out as real and
// imaginary parts, Z[M] = Z[0], and every pointer is restrict, so that the loop over bins
// vectorises (reading Z[M - k] backwards).
void split(const float* __restrict zf, const float* __restrict wr, const float* __restrict wi,
           float* __restrict re, float* __restrict im, float* __restrict o, int m, int first, int end) {
  for (int k = 0; k < m; ++k) re[k] = zf[2 * k], im[k] = zf[2 * k + 1];
  re[m] = re[0], im[m] = im[0];
  for (int k = first; k < end; ++k) {
    const float ar = re[k], ai = im[k], br = re[m - k], bi = -im[m - k];
    const float even_re = 0.5f * (ar + br), even_im = 0.5f * (ai + bi);
    const float odd_re = 0.5f * (ai - bi), odd_im = -0.5f * (ar - br);  // (Z[k] - conj Z[M - k]) / 2i
    o[2 * k] = even_re + (wr[k] * odd_re - wi[k] * odd_im);
    o[2 * k + 1] = even_im + (wr[k] * odd_im + wi[k] * odd_re);
  }
}

struct FftwImpl final : RealFft::Impl {
  const HalfPlan& plan;
  int m;
  float* in;
  fftwf_complex* z;
  std::vector<float> z_re, z_im;  // Z as parts, M + 1 each
  std::vector<std::complex<float>> out;

  explicit FftwImpl(int n)
      : plan(shared_plan(n)), m(n / 2), in(fftwf_alloc_real(size_t(n))), z(fftwf_alloc_complex(size_t(m))),
        z_re(size_t(m + 1)), z_im(size_t(m + 1)), out(size_t(m + 1)) {
    if (!in || !z) {
      fftwf_free(in);
      fftwf_free(z);
      throw Error("FFT: out of memory for " + std::to_string(n) + " points");
    }
  }
  ~FftwImpl() override {
    fftwf_free(in);
    fftwf_free(z);
  }
  float* input() override { return in; }
  const std::complex<float>* forward(int first, int end) override {
    // Thread-safe: the new-array form, on this object's buffers (x read as M complex values).
    fftwf_execute_dft(plan.complex_m, reinterpret_cast<fftwf_complex*>(in), z);
    split(reinterpret_cast<const float*>(z), plan.twiddle_re.data(), plan.twiddle_im.data(), z_re.data(),
          z_im.data(), reinterpret_cast<float*>(out.data()), m, first, end);
    return out.data();
  }
};
#endif

}  // namespace

FftBackend default_fft_backend() { return fft_backends().front(); }

std::vector<FftBackend> fft_backends() {
#ifdef MURMUR_HAVE_FFTW
  return {FftBackend::kFftw, FftBackend::kKiss};
#else
  return {FftBackend::kKiss};
#endif
}

const char* fft_backend_name(FftBackend b) { return b == FftBackend::kFftw ? "fftw" : "kissfft"; }

RealFft::RealFft(int n, FftBackend backend) : n_(n) {
  if (n < 2 || n % 2 != 0) throw Error("FFT: size must be even and at least 2 (got " + std::to_string(n) + ")");
  if (backend == FftBackend::kKiss) {
    impl_ = std::make_unique<KissImpl>(n);
    return;
  }
#ifdef MURMUR_HAVE_FFTW
  impl_ = std::make_unique<FftwImpl>(n);
#else
  impl_ = std::make_unique<KissImpl>(n);  // built with -DMURMUR_FFTW=OFF: the same transform
#endif
}

RealFft::~RealFft() = default;

float* RealFft::input() { return impl_->input(); }
const std::complex<float>* RealFft::forward() { return impl_->forward(0, n_ / 2 + 1); }

const std::complex<float>* RealFft::forward(int first_bin, int end_bin) {
  if (first_bin < 0 || end_bin > n_ / 2 + 1 || first_bin > end_bin)
    throw Error("FFT: bins [" + std::to_string(first_bin) + ", " + std::to_string(end_bin) + ") outside [0, " +
                std::to_string(n_ / 2 + 1) + ")");
  return impl_->forward(first_bin, end_bin);
}

}  // namespace murmur::features
