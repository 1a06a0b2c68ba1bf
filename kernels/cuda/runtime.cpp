// Device discovery, memory entry points and copies (runtime.h).
//
// Discovery runs cudaGetDeviceCount once; any error (no driver, driver too old, no device, a
// broken installation) becomes is_available() == false with the driver's reason — the probe
// never throws and never aborts, so CPU-only machines run every CPU code path.
//
// Copies use the destination device's current stream (for device->host: the source's):
//   device->device   cudaMemcpyAsync, stream-ordered; returns at once
//   host->device     pageable source: copied into a pinned staging block, then an asynchronous
//                    copy; the caller's buffer is free on return and the staging block is
//                    recycled once the copy completes (allocator.h). Pinned source: the copy is
//                    issued directly (copy_bytes then waits for it; copy_bytes_async does not)
//   device->host     pinned destination and copy_bytes_async: stream-ordered, no wait;
//                    otherwise waits for the stream (the host reads the bytes next)
//   cuda:i->cuda:j   waits for the source device, then a peer copy on the destination stream
#include "kernels/cuda/runtime.h"

#include <atomic>
#include <cstring>
#include <string>
#include <vector>

#include "core/poison.h"
#include "kernels/cuda/allocator.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/context.h"
#include "kernels/cuda/device_util.h"

namespace cohort::cuda {

namespace {

std::atomic<SyncHook>& sync_hook() {
  static std::atomic<SyncHook> hook{nullptr};
  return hook;
}
void run_sync_hook() {
  if (const SyncHook hook = sync_hook().load()) hook();
}

struct Probe {
  int count = 0;
  std::string reason;  // empty when usable
};

const Probe& probe() {
  static const Probe result = [] {
    Probe p;
    int n = 0;
    cudaError_t err = cudaGetDeviceCount(&n);
    if (err != cudaSuccess) {
      cudaGetLastError();
      p.reason = fmt::format("cudaGetDeviceCount failed: {} ({})", cudaGetErrorName(err),
                             cudaGetErrorString(err));
    } else if (n == 0) {
      p.reason = "no CUDA device found";
    } else {
      p.count = n;
    }
    return p;
  }();
  return result;
}

// Host->device from pageable memory through a pinned staging block (see the file comment).
void copy_pageable_to_device(void* dst, int device, const void* src, size_t nbytes,
                             cudaStream_t stream) {
  void* stage = caching_pinned_malloc(nbytes);
  std::memcpy(stage, src, nbytes);
  cudaError_t err = cudaMemcpyAsync(dst, stage, nbytes, cudaMemcpyHostToDevice, stream);
  if (err == cudaSuccess) record_pinned_use(stage, stream, device);
  caching_pinned_free(stage);
  if (err != cudaSuccess) detail::throw_cuda(err, "cudaMemcpyAsync(host->device)", __FILE__, __LINE__);
}

}  // namespace

void require_device(int device) {
  const Probe& p = probe();
  if (!p.reason.empty())
    throw BackendError(fmt::format("cuda:{}: CUDA is not available ({})", device, p.reason));
  if (device < 0 || device >= p.count)
    throw BackendError(fmt::format("cuda:{}: no such device ({} CUDA device{} present)", device,
                                   p.count, p.count == 1 ? "" : "s"));
}

int multiprocessor_count(int device) {
  static std::vector<int> counts = [] {
    std::vector<int> c(static_cast<size_t>(probe().count), 0);
    for (int d = 0; d < probe().count; ++d)
      COHORT_CUDA_CHECK(cudaDeviceGetAttribute(&c[static_cast<size_t>(d)],
                                               cudaDevAttrMultiProcessorCount, d));
    return c;
  }();
  require_device(device);
  return counts[static_cast<size_t>(device)];
}

bool is_available() { return probe().reason.empty(); }
std::string unavailable_reason() { return probe().reason; }
int device_count() { return probe().count; }

int current_device() {
  require_device(0);
  int d = 0;
  COHORT_CUDA_CHECK(cudaGetDevice(&d));
  return d;
}

void set_device(int index) {
  require_device(index);
  COHORT_CUDA_CHECK(cudaSetDevice(index));
}

void* device_alloc(size_t nbytes, int device) {
  require_device(device);
  DeviceGuard guard(device);
  cudaStream_t stream = current_stream(device);
  void* ptr = caching_device_malloc(nbytes, device, stream);
  // The test suite's poisoning (core/poison.h) covers device memory too: 0xFF bytes are NaN
  // for f32/f64, so a kernel that leaves outputs unwritten fails its parity test.
  if (poison_allocations()) COHORT_CUDA_CHECK(cudaMemsetAsync(ptr, 0xFF, nbytes, stream));
  return ptr;
}

void device_free(void* ptr, int device) { caching_device_free(ptr, device); }

void* pinned_alloc(size_t nbytes) {
  require_device(0);  // page-locking needs a working driver
  return caching_pinned_malloc(nbytes);
}

void pinned_free(void* ptr) { caching_pinned_free(ptr); }

void copy_bytes_async(void* dst, bool dst_is_cuda, int dst_device, const void* src,
                      bool src_is_cuda, int src_device, size_t nbytes) {
  if (nbytes == 0) return;
  if (!dst_is_cuda && !src_is_cuda) {
    std::memcpy(dst, src, nbytes);
    return;
  }
  if (dst_is_cuda && src_is_cuda) {
    require_device(dst_device);
    require_device(src_device);
    if (dst_device == src_device) {
      DeviceGuard guard(dst_device);
      COHORT_CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyDeviceToDevice,
                                        current_stream(dst_device)));
    } else {
      // The source's producers run on its own stream: wait for them, then copy on the
      // destination's stream.
      {
        DeviceGuard guard(src_device);
        COHORT_CUDA_CHECK(cudaStreamSynchronize(current_stream(src_device)));
      }
      DeviceGuard guard(dst_device);
      COHORT_CUDA_CHECK(cudaMemcpyPeerAsync(dst, dst_device, src, src_device, nbytes,
                                            current_stream(dst_device)));
    }
    return;
  }
  if (dst_is_cuda) {  // host -> device
    require_device(dst_device);
    DeviceGuard guard(dst_device);
    cudaStream_t stream = current_stream(dst_device);
    if (is_pinned_pointer(src)) {
      COHORT_CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyHostToDevice, stream));
      record_pinned_use(src, stream, dst_device);
    } else {
      copy_pageable_to_device(dst, dst_device, src, nbytes, stream);
    }
    return;
  }
  // device -> host
  require_device(src_device);
  DeviceGuard guard(src_device);
  cudaStream_t stream = current_stream(src_device);
  COHORT_CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyDeviceToHost, stream));
  if (is_pinned_pointer(dst)) record_pinned_use(dst, stream, src_device);
  else COHORT_CUDA_CHECK(cudaStreamSynchronize(stream));  // pageable: the driver copied synchronously anyway
}

void copy_bytes(void* dst, bool dst_is_cuda, int dst_device, const void* src, bool src_is_cuda,
                int src_device, size_t nbytes) {
  if (nbytes == 0) return;
  copy_bytes_async(dst, dst_is_cuda, dst_device, src, src_is_cuda, src_device, nbytes);
  // Waits only where the host could otherwise observe an incomplete copy: a pinned host
  // buffer the caller may reuse (source) or read (destination) as soon as we return.
  const bool pinned_host_side = (dst_is_cuda && !src_is_cuda && is_pinned_pointer(src)) ||
                                (!dst_is_cuda && src_is_cuda && is_pinned_pointer(dst));
  if (pinned_host_side) {
    const int device = dst_is_cuda ? dst_device : src_device;
    DeviceGuard guard(device);
    COHORT_CUDA_CHECK(cudaStreamSynchronize(current_stream(device)));
  }
  // A device->host copy has waited for the stream: cross_entropy's label checks are due.
  if (!dst_is_cuda && src_is_cuda) run_sync_hook();
}

void synchronize(int device) {
  require_device(device);
  DeviceGuard guard(device);
  COHORT_CUDA_CHECK(cudaDeviceSynchronize());
  run_sync_hook();
}

void synchronize_and_check(int device, const char* op) {
  require_device(device);
  DeviceGuard guard(device);
  cudaError_t err = cudaDeviceSynchronize();
  if (err == cudaSuccess) err = cudaGetLastError();
  if (err != cudaSuccess) {
    cudaGetLastError();
    throw BackendError(fmt::format("{}: CUDA error {} ({}) surfaced by COHORT_SYNC=1 after the op "
                                   "on cuda:{}",
                                   op, cudaGetErrorName(err), cudaGetErrorString(err), device));
  }
  run_sync_hook();
}

void set_sync_hook(SyncHook hook) { sync_hook().store(hook); }

}  // namespace cohort::cuda
