#include "util/alloc.h"

#include <malloc.h>

#include <climits>

namespace murmur::util {

bool keep_freed_memory() {
#ifdef M_MMAP_THRESHOLD
  bool ok = mallopt(M_MMAP_THRESHOLD, 1 << 30) == 1;
  ok = mallopt(M_TRIM_THRESHOLD, INT_MAX) == 1 && ok;
  return ok;
#else
  return false;
#endif
}

}  // namespace murmur::util
