// The one downward call from core into the backends (docs/architecture.md).
//
// Op front-ends call COHORT_DISPATCH(device, fn, args...), which runs cohort::cpu::fn or
// cohort::cuda::fn — functions with identical signatures declared in kernels/{cpu,cuda}/*.h.
// In a build without CUDA the CUDA branch throws "cohort was built without CUDA", so the
// library still links and a CUDA tensor can never be created.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/device.h"
#include "core/profiler.h"

#ifdef COHORT_WITH_CUDA
#include "kernels/cuda/runtime.h"
#endif

namespace cohort::backend {

[[noreturn]] void throw_no_cuda(std::string_view what);

// True when this build has CUDA and a device is usable.
bool cuda_available();
// Human-readable devices and library versions (cohort info): CUDA devices with their compute
// capability and memory, cuDNN/cuBLAS versions, or why there is none.
std::string device_report();

void* cuda_alloc(size_t nbytes, int device);
// Page-locked host memory; throws without CUDA.
void* pinned_alloc(size_t nbytes);
void pinned_free(void* ptr);
// Like copy_bytes, but a pinned-host -> device copy may return before completing (stream-ordered).
void copy_bytes_async(void* dst, Device dst_device, const void* src, Device src_device, size_t nbytes);
void cuda_free(void* ptr, int device);
// Copies nbytes between any two devices (host<->device through pinned staging on CUDA).
void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t nbytes);
// Blocks until all work queued on the device finished (no-op for the CPU).
void synchronize(Device device);
// After every op when COHORT_SYNC=1: synchronise and surface asynchronous errors with the op name.
void maybe_sync_after(Device device, std::string_view op);

}  // namespace cohort::backend

#ifdef COHORT_WITH_CUDA
#define COHORT_CUDA_BRANCH(fn, ...) ::cohort::cuda::fn(__VA_ARGS__)
#else
#define COHORT_CUDA_BRANCH(fn, ...) ::cohort::backend::throw_no_cuda(#fn)
#endif

// Calls cpu::fn or cuda::fn for `device`. Kernels return void and write preallocated outputs.
// Timed per kernel name when the profiler is on (core/profiler.h).
#define COHORT_DISPATCH(device, fn, ...)                              \
  do {                                                                \
    const ::cohort::Device cohort_dispatch_device_ = (device);        \
    const ::cohort::profiler::Scope cohort_profile_scope_(#fn, cohort_dispatch_device_); \
    if (cohort_dispatch_device_.is_cuda()) {                          \
      COHORT_CUDA_BRANCH(fn, __VA_ARGS__);                            \
      ::cohort::backend::maybe_sync_after(cohort_dispatch_device_, #fn); \
    } else {                                                          \
      ::cohort::cpu::fn(__VA_ARGS__);                                 \
    }                                                                 \
  } while (0)
