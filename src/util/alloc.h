// Process-wide memory allocator settings for LibTorch workloads.
//
//   int main() { murmur::util::keep_freed_memory(); ... }
//
// LibTorch allocates and frees tensors of many megabytes in every training step and forward pass
// (a seed training batch's first convolution output alone is 100 MB). With glibc's defaults, blocks
// above 128 KB (raised dynamically up to 32 MB) come from mmap and go back to the kernel when
// freed, and the top of the heap is trimmed, so every step faults its pages in again: a third of
// a seed training epoch was kernel time. keep_freed_memory() serves blocks up to 1 GB from the heap
// and never trims it, so freed memory is reused: seed training 1.8x faster (47.7 s -> 26.3 s per
// epoch, one thread, identical numbers) for +3% peak memory (1.15 -> 1.18 GB). Measurements:
// docs/RESULTS.md, section 8.
#pragma once

namespace murmur::util {

// Call once, early in main(). Returns false if the C library refused a setting (then nothing
// is lost: the defaults stay).
bool keep_freed_memory();

}  // namespace murmur::util
