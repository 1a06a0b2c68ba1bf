// Statistics and control of the CUDA caching allocators (device memory and pinned host memory),
// in plain C++ so core and user code can include it without CUDA headers.
// Implemented in kernels/cuda/allocator.cpp; core/cuda_info.h re-exports it for every build.
#pragma once

#include <cstddef>
#include <cstdint>

namespace cohort::cuda {

struct MemoryStats {
  size_t allocated_bytes = 0;       // held by live allocations (rounded sizes)
  size_t reserved_bytes = 0;        // obtained from the driver (cudaMalloc/cudaHostAlloc), cached or not
  size_t peak_allocated_bytes = 0;  // since start or the last reset_peak_memory_stats
  size_t peak_reserved_bytes = 0;
  uint64_t active_blocks = 0;       // live allocations
  uint64_t alloc_calls = 0;         // allocation requests served
  uint64_t cache_hits = 0;          // ... of which without a new driver allocation
  uint64_t driver_allocs = 0;       // cudaMalloc / cudaHostAlloc calls that succeeded
  uint64_t driver_frees = 0;        // cudaFree / cudaFreeHost calls
  uint64_t ooms = 0;                // requests that failed even after freeing the cache
};

// Device memory of `device` (must exist).
MemoryStats memory_stats(int device);
// Page-locked host memory (all devices share one pool).
MemoryStats pinned_memory_stats();
// Sets the peaks to the current values.
void reset_peak_memory_stats(int device);

// Returns every cached, unused block to the driver: device segments on every device that are
// entirely free, unused pinned blocks whose copies have completed, and the calling thread's
// cuDNN/cuBLAS workspaces. Live tensors are untouched.
void empty_cache();

}  // namespace cohort::cuda
