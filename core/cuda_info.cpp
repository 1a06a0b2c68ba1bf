#include "core/cuda_info.h"

#ifdef COHORT_WITH_CUDA
#include "kernels/cuda/context.h"
#include "kernels/cuda/memory_stats.h"
#include "kernels/cuda/runtime.h"
#endif

namespace cohort {

#ifdef COHORT_WITH_CUDA

namespace {
CudaMemoryStats convert(const cuda::MemoryStats& s) {
  CudaMemoryStats out;
  out.allocated_bytes = s.allocated_bytes;
  out.reserved_bytes = s.reserved_bytes;
  out.peak_allocated_bytes = s.peak_allocated_bytes;
  out.peak_reserved_bytes = s.peak_reserved_bytes;
  out.active_blocks = s.active_blocks;
  out.alloc_calls = s.alloc_calls;
  out.cache_hits = s.cache_hits;
  out.driver_allocs = s.driver_allocs;
  out.driver_frees = s.driver_frees;
  out.ooms = s.ooms;
  return out;
}
}  // namespace

bool cuda_is_available() { return cuda::is_available(); }
std::string cuda_unavailable_reason() { return cuda::unavailable_reason(); }
int cuda_device_count() { return cuda::device_count(); }
CudaMemoryStats cuda_memory_stats(int device) {
  return cuda::is_available() ? convert(cuda::memory_stats(device)) : CudaMemoryStats{};
}
CudaMemoryStats cuda_pinned_memory_stats() {
  return cuda::is_available() ? convert(cuda::pinned_memory_stats()) : CudaMemoryStats{};
}
void cuda_reset_peak_memory_stats(int device) {
  if (cuda::is_available()) cuda::reset_peak_memory_stats(device);
}
void cuda_empty_cache() {
  if (cuda::is_available()) cuda::empty_cache();
}
void cuda_set_allow_tf32_conv(bool on) { cuda::set_allow_tf32_conv(on); }
void cuda_set_allow_tf32_matmul(bool on) { cuda::set_allow_tf32_matmul(on); }
bool cuda_allow_tf32_conv() { return cuda::allow_tf32_conv(); }
bool cuda_allow_tf32_matmul() { return cuda::allow_tf32_matmul(); }

#else

bool cuda_is_available() { return false; }
std::string cuda_unavailable_reason() { return "cohort was built without CUDA"; }
int cuda_device_count() { return 0; }
CudaMemoryStats cuda_memory_stats(int) { return {}; }
CudaMemoryStats cuda_pinned_memory_stats() { return {}; }
void cuda_reset_peak_memory_stats(int) {}
void cuda_empty_cache() {}
void cuda_set_allow_tf32_conv(bool) {}
void cuda_set_allow_tf32_matmul(bool) {}
bool cuda_allow_tf32_conv() { return false; }
bool cuda_allow_tf32_matmul() { return false; }

#endif

}  // namespace cohort
