// Per-thread, per-device CUDA context (context.h): current streams, cuBLAS/cuDNN handles,
// workspaces, and the process-wide TF32 policy.
//
// Streams: each device's default stream is the legacy default stream (0), as in PyTorch, so
// synchronous CUDA calls and third-party code order with cohort's work without extra events.
// A StreamGuard swaps in another stream for the calling thread only.
//
// Handles are created lazily per (thread, device) — cuBLAS and cuDNN handles must not be used
// by two threads at once — bound to the current stream at every retrieval, and destroyed when
// the thread exits. Workspaces are per (thread, device) too, from the caching allocator.
#include "kernels/cuda/context.h"

#include <atomic>
#include <vector>

#include "kernels/cuda/allocator.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/device_util.h"
#include "kernels/cuda/memory_stats.h"
#include "kernels/cuda/runtime.h"

namespace cohort::cuda {

namespace {

std::atomic<bool> g_allow_tf32_conv{true};
std::atomic<bool> g_allow_tf32_matmul{false};

int resolve(int device) {
  if (device < 0) device = current_device();
  require_device(device);
  return device;
}

// Everything a thread owns per device. Destroyed at thread exit (for the main thread: before
// static destructors and the CUDA runtime's own exit handlers).
struct ThreadContext {
  std::vector<cudaStream_t> streams;
  std::vector<cublasHandle_t> cublas;
  std::vector<cudnnHandle_t> cudnn;
  std::vector<void*> workspace;
  std::vector<size_t> workspace_bytes;

  ThreadContext() {
    const size_t n = static_cast<size_t>(device_count());
    streams.assign(n, nullptr);
    cublas.assign(n, nullptr);
    cudnn.assign(n, nullptr);
    workspace.assign(n, nullptr);
    workspace_bytes.assign(n, 0);
  }
  ~ThreadContext() {
    // Errors are ignored: nothing useful can be done with them in a destructor.
    release_workspaces();
    for (size_t d = 0; d < cublas.size(); ++d) {
      if (cublas[d]) cublasDestroy(cublas[d]);
      if (cudnn[d]) cudnnDestroy(cudnn[d]);
    }
  }
  void release_workspaces() {
    for (size_t d = 0; d < workspace.size(); ++d) {
      if (workspace[d]) device_free(workspace[d], static_cast<int>(d));
      workspace[d] = nullptr;
      workspace_bytes[d] = 0;
    }
  }
};

ThreadContext& thread_context() {
  thread_local ThreadContext ctx;
  return ctx;
}

}  // namespace

cudaStream_t current_stream(int device) {
  device = resolve(device);
  return thread_context().streams[static_cast<size_t>(device)];
}

StreamGuard::StreamGuard(cudaStream_t stream, int device) : device_(resolve(device)) {
  auto& streams = thread_context().streams;
  previous_ = streams[static_cast<size_t>(device_)];
  streams[static_cast<size_t>(device_)] = stream;
}

StreamGuard::~StreamGuard() { thread_context().streams[static_cast<size_t>(device_)] = previous_; }

cublasHandle_t cublas_handle(int device) {
  device = resolve(device);
  ThreadContext& ctx = thread_context();
  cublasHandle_t& h = ctx.cublas[static_cast<size_t>(device)];
  DeviceGuard guard(device);
  if (!h) {
    COHORT_CUBLAS_CHECK(cublasCreate(&h));
    // TF32 is chosen per call through the compute type (linalg.cpp); the handle stays on the
    // default math mode so nothing else enables it behind the policy's back.
    COHORT_CUBLAS_CHECK(cublasSetMathMode(h, CUBLAS_DEFAULT_MATH));
  }
  COHORT_CUBLAS_CHECK(cublasSetStream(h, ctx.streams[static_cast<size_t>(device)]));
  return h;
}

cudnnHandle_t cudnn_handle(int device) {
  device = resolve(device);
  ThreadContext& ctx = thread_context();
  cudnnHandle_t& h = ctx.cudnn[static_cast<size_t>(device)];
  DeviceGuard guard(device);
  if (!h) COHORT_CUDNN_CHECK(cudnnCreate(&h));
  COHORT_CUDNN_CHECK(cudnnSetStream(h, ctx.streams[static_cast<size_t>(device)]));
  return h;
}

void set_allow_tf32_conv(bool on) { g_allow_tf32_conv.store(on); }
void set_allow_tf32_matmul(bool on) { g_allow_tf32_matmul.store(on); }
bool allow_tf32_conv() { return g_allow_tf32_conv.load(); }
bool allow_tf32_matmul() { return g_allow_tf32_matmul.load(); }

void* workspace(size_t nbytes, int device) {
  device = resolve(device);
  ThreadContext& ctx = thread_context();
  const size_t d = static_cast<size_t>(device);
  if (nbytes == 0) return ctx.workspace[d];
  if (ctx.workspace_bytes[d] < nbytes) {
    // The old block goes back to the allocator on this stream; work already queued on the
    // stream finishes before any later request on it can reuse the memory.
    if (ctx.workspace[d]) device_free(ctx.workspace[d], device);
    ctx.workspace[d] = nullptr;
    ctx.workspace_bytes[d] = 0;
    ctx.workspace[d] = device_alloc(nbytes, device);
    ctx.workspace_bytes[d] = nbytes;
  }
  return ctx.workspace[d];
}

void empty_cache() {
  if (device_count() > 0) thread_context().release_workspaces();
  release_cached_device_memory();
  release_cached_pinned_memory();
}

}  // namespace cohort::cuda
