#include "util/openmp.h"

#include <algorithm>
#ifdef _OPENMP
#include <omp.h>
#endif

namespace murmur::util {

void on_openmp_threads(size_t n, int threads, const std::function<void(size_t)>& body) {
#ifdef _OPENMP
  const long count = long(n);
#pragma omp parallel for schedule(static) num_threads(std::max(1, threads)) if (threads > 1 && n > 1)
  for (long i = 0; i < count; ++i) body(size_t(i));
#else
  (void)threads;
  for (size_t i = 0; i < n; ++i) body(i);
#endif
}

bool openmp_built_in() {
#ifdef _OPENMP
  return true;
#else
  return false;
#endif
}

int openmp_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

}  // namespace murmur::util
