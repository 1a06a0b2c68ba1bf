// Per-thread, per-device CUDA context (context.h): current streams, cuBLAS/cuDNN handles,
// workspaces, and the process-wide TF32 policy.
//
// Streams: each device's default stream is the legacy default stream (0), as in PyTorch, so
// synchronous CUDA calls and third-party code order with cohort's work without extra events.
// A StreamGuard swaps in another stream for the calling thread only.
//
// Handles are created lazily per thread — cuBLAS and cuDNN handles must not be used by two
// threads at once — and destroyed when the thread exits: cuBLAS per (device, stream), so the
// handle's internal workspace is never shared by two streams; cuDNN per device, rebound to the
// current stream at every retrieval. Workspaces are per (thread, device, stream), from the
// caching allocator: two streams running at once never share scratch memory. A Stream (or
// forget_stream before destroying a foreign one) drops a stream's state and hands its cached
// memory to the default stream.
#include "kernels/cuda/context.h"

#include <atomic>
#include <cstdio>
#include <exception>
#include <unordered_map>
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

// What a thread owns for one stream of one device.
struct StreamState {
  cublasHandle_t cublas = nullptr;
  void* workspace = nullptr;
  size_t workspace_bytes = 0;

  void release_workspace(int device) {
    if (workspace) device_free(workspace, device);
    workspace = nullptr;
    workspace_bytes = 0;
  }
  void release(int device) {  // errors ignored: also runs in destructors
    release_workspace(device);
    if (cublas) cublasDestroy(cublas);
    cublas = nullptr;
  }
};

// Everything a thread owns per device. Destroyed at thread exit (for the main thread: before
// static destructors and the CUDA runtime's own exit handlers).
struct ThreadContext {
  std::vector<cudaStream_t> streams;
  std::vector<cudnnHandle_t> cudnn;
  std::vector<std::unordered_map<cudaStream_t, StreamState>> per_stream;  // [device][stream]

  ThreadContext() {
    const size_t n = static_cast<size_t>(device_count());
    streams.assign(n, nullptr);
    cudnn.assign(n, nullptr);
    per_stream.resize(n);
  }
  ~ThreadContext() {
    for (size_t d = 0; d < per_stream.size(); ++d) {
      for (auto& [stream, state] : per_stream[d]) state.release(static_cast<int>(d));
      if (cudnn[d]) cudnnDestroy(cudnn[d]);
    }
  }
  StreamState& current(int device) {
    const size_t d = static_cast<size_t>(device);
    return per_stream[d][streams[d]];
  }
  void release_workspaces() {
    for (size_t d = 0; d < per_stream.size(); ++d)
      for (auto& [stream, state] : per_stream[d]) state.release_workspace(static_cast<int>(d));
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
  cublasHandle_t& h = ctx.current(device).cublas;
  if (!h) {
    DeviceGuard guard(device);
    COHORT_CUBLAS_CHECK(cublasCreate(&h));
    // TF32 is chosen per call through the compute type (linalg.cpp); the handle stays on the
    // default math mode so nothing else enables it behind the policy's back.
    COHORT_CUBLAS_CHECK(cublasSetMathMode(h, CUBLAS_DEFAULT_MATH));
    COHORT_CUBLAS_CHECK(cublasSetStream(h, ctx.streams[static_cast<size_t>(device)]));
  }
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
  StreamState& state = thread_context().current(device);
  if (nbytes == 0) return state.workspace;
  if (state.workspace_bytes < nbytes) {
    // The old block goes back to the allocator on this stream — the stream it was allocated on,
    // as the workspace is per stream — so work queued on it finishes before the memory is reused.
    state.release_workspace(device);
    state.workspace = device_alloc(nbytes, device);
    state.workspace_bytes = nbytes;
  }
  return state.workspace;
}

size_t workspace_bytes(int device) { return thread_context().current(resolve(device)).workspace_bytes; }

void forget_stream(cudaStream_t stream, int device) {
  device = resolve(device);
  if (stream == nullptr) return;  // the default stream is never destroyed
  DeviceGuard guard(device);
  COHORT_CUDA_CHECK(cudaStreamSynchronize(stream));
  auto& states = thread_context().per_stream[static_cast<size_t>(device)];
  if (auto it = states.find(stream); it != states.end()) {
    it->second.release(device);
    states.erase(it);
  }
  caching_device_forget_stream(stream, device);
}

Stream::Stream(int device) : device_(resolve(device)) {
  DeviceGuard guard(device_);
  COHORT_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
}

Stream::~Stream() {
  try {
    forget_stream(stream_, device_);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cohort: destroying a stream on cuda:%d: %s\n", device_, e.what());
  }
  DeviceGuard guard(device_);
  cudaStreamDestroy(stream_);
}

void empty_cache() {
  if (device_count() > 0) thread_context().release_workspaces();
  release_cached_device_memory();
  release_cached_pinned_memory();
}

}  // namespace cohort::cuda
