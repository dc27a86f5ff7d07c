// Work for the cores LibTorch computes on, handed to its own OpenMP team (libgomp).
//
//   util::on_openmp_threads(rows, torch::get_num_threads(), [&](size_t r) { draw_row(r); });
//
// After a forward pass LibTorch's OpenMP workers keep spinning for a while; work given to threads
// of murmur's own then competes with them for the same cores (measured: no gain on 2 cores). The
// team LibTorch runs on takes it at once. Items may run in any order and side by side; body must
// not throw. Built without OpenMP (a compiler without libgomp), the items run in order.
#pragma once

#include <cstddef>
#include <functional>

namespace murmur::util {

void on_openmp_threads(size_t n, int threads, const std::function<void(size_t)>& body);
bool openmp_built_in();
// The threads an OpenMP region started here would use (omp_get_max_threads: what oneDNN computes on,
// infer::set_engine_threads); 1 without OpenMP.
int openmp_threads();  // false: on_openmp_threads runs the items in order on the calling thread

}  // namespace murmur::util
