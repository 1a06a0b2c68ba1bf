// CUDA status, memory statistics and policy for users, in every build: without CUDA (or
// without a usable device) the queries report "unavailable" and zeros instead of failing, so
// a program can print them unconditionally.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace cohort {

// Mirrors cohort::cuda::MemoryStats (kernels/cuda/memory_stats.h).
struct CudaMemoryStats {
  size_t allocated_bytes = 0;       // held by live tensors (rounded to the allocator's 512 B)
  size_t reserved_bytes = 0;        // obtained from the driver, in use or cached
  size_t peak_allocated_bytes = 0;
  size_t peak_reserved_bytes = 0;
  uint64_t active_blocks = 0;
  uint64_t alloc_calls = 0;
  uint64_t cache_hits = 0;
  uint64_t driver_allocs = 0;       // cudaMalloc / cudaHostAlloc calls
  uint64_t driver_frees = 0;
  uint64_t ooms = 0;
};

bool cuda_is_available();
// Why CUDA is unusable ("cohort was built without CUDA", the driver's error, ...); "" if usable.
std::string cuda_unavailable_reason();
int cuda_device_count();

// Device caching allocator of `device`; all zeros when CUDA is unavailable. A device index
// that does not exist on a machine with CUDA is a BackendError.
CudaMemoryStats cuda_memory_stats(int device = 0);
// The pinned host-memory cache (shared by all devices); zeros without CUDA.
CudaMemoryStats cuda_pinned_memory_stats();
void cuda_reset_peak_memory_stats(int device = 0);
// Returns cached, unused device and pinned memory to the driver; no-op without CUDA.
void cuda_empty_cache();

// TF32 tensor-core math for f32 (PyTorch's defaults: convolutions on, matmul off). The flags
// only exist in CUDA builds; without CUDA the setters do nothing and the getters return false.
void cuda_set_allow_tf32_conv(bool on);
void cuda_set_allow_tf32_matmul(bool on);
bool cuda_allow_tf32_conv();
bool cuda_allow_tf32_matmul();

}  // namespace cohort
