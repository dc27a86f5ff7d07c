#include "util/pool.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace murmur::util {

void parallel_for(size_t n, int threads, const std::function<void(size_t)>& body) {
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  std::exception_ptr first;
  std::mutex mu;
  auto worker = [&] {
    for (size_t i; !stop && (i = next++) < n;) {
      try {
        body(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        if (!first) first = std::current_exception();
        stop = true;
      }
    }
  };
  const int k = int(std::min<size_t>(size_t(std::max(1, threads)), std::max<size_t>(1, n)));
  if (k == 1) {
    worker();
  } else {
    std::vector<std::thread> pool;
    for (int t = 0; t < k; ++t) pool.emplace_back(worker);
    for (auto& t : pool) t.join();
  }
  if (first) std::rethrow_exception(first);
}

}  // namespace murmur::util
