// CUDA runtime services, declared in plain C++ so core (compiled by the host compiler) can call
// them: device discovery, memory through the caching allocator, copies, synchronisation.
// Implemented in kernels/cuda/runtime.cu and kernels/cuda/allocator.cu. Only compiled into
// builds with COHORT_WITH_CUDA.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace cohort::cuda {

// False when there is no driver, no device, or the driver is too old; never crashes.
bool is_available();
// Why is_available() is false ("" when it is true), e.g. the driver's error string.
std::string unavailable_reason();
int device_count();
// Devices (name, compute capability, memory), driver/runtime, cuDNN and cuBLAS versions; or
// the reason no device is usable.
std::string device_report();
int current_device();
void set_device(int index);

// Device memory from the caching allocator (kernels/cuda/allocator.h) on the current stream.
void* device_alloc(size_t nbytes, int device);
void device_free(void* ptr, int device);

// Copies between host and device memory (either side may be either). Host->device copies of
// pageable memory are staged through pinned buffers; the call returns when `dst` is usable.
void copy_bytes(void* dst, bool dst_is_cuda, int dst_device, const void* src, bool src_is_cuda,
                int src_device, size_t nbytes);

// Stream-ordered on the destination device's current stream; returns without waiting when the
// host side is pinned (the caller keeps the host buffer alive until the stream passes the copy).
void copy_bytes_async(void* dst, bool dst_is_cuda, int dst_device, const void* src,
                      bool src_is_cuda, int src_device, size_t nbytes);

// Page-locked host memory (cached like device memory; never cudaHostAlloc per batch).
void* pinned_alloc(size_t nbytes);
void pinned_free(void* ptr);

void synchronize(int device);
// Synchronises and throws BackendError naming `op` if an asynchronous error is pending
// (COHORT_SYNC=1 runs this after every op).
void synchronize_and_check(int device, const char* op);

// Work a higher layer attaches to the synchronising calls: run after every device->host copy,
// synchronize() and synchronize_and_check(), on the calling thread. cross_entropy's deferred
// label checks (label_check.h) install theirs before deferring the first one; the runtime
// itself knows nothing of them. One hook per process; installing the same one again is a no-op.
using SyncHook = void (*)();
void set_sync_hook(SyncHook hook);

}  // namespace cohort::cuda
