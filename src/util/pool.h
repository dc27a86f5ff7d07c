// A fixed set of worker threads over an index range: the one pool murmur uses for per-file work
// (feature extraction, the reference's pictures, batch prediction).
//
//   util::parallel_for(files.size(), threads, [&](size_t i) { out[i] = work(files[i]); });
//
// Items are handed out in order, one at a time, so slow files do not stall a worker's share.
// body must be safe to call from several threads. If a call throws, the remaining items are not
// started and the first exception is rethrown once every worker has stopped; per-item failures
// that should not stop the batch are caught inside body.
#pragma once

#include <cstddef>
#include <functional>

namespace murmur::util {

void parallel_for(size_t n, int threads, const std::function<void(size_t)>& body);

}  // namespace murmur::util
