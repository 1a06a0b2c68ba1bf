// Per-device CUDA context: the current stream, owned streams, the lazily created, RAII-owned
// cuBLAS and cuDNN handles, the TF32 policy, and the growable per-stream workspaces.
// CUDA translation units only (uses CUDA types). Implemented in kernels/cuda/context.cu.
#pragma once

#include <cstddef>
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

namespace cohort::cuda {

// The stream ops on `device` are queued on (the device's default stream unless a
// StreamGuard set another). -1 means the current device.
cudaStream_t current_stream(int device = -1);

// Makes `stream` current for this thread on its device for the guard's lifetime
// (concurrent students run on their own streams).
class StreamGuard {
 public:
  StreamGuard(cudaStream_t stream, int device);
  ~StreamGuard();
  StreamGuard(const StreamGuard&) = delete;
  StreamGuard& operator=(const StreamGuard&) = delete;

 private:
  cudaStream_t previous_;
  int device_;
};

// A non-blocking stream of `device` (-1: the current one) owned by cohort, e.g. one per student.
// Its destructor waits for the stream's work, then forgets it (below) and destroys it.
class Stream {
 public:
  explicit Stream(int device = -1);
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  cudaStream_t get() const { return stream_; }
  int device() const { return device_; }

 private:
  int device_;
  cudaStream_t stream_ = nullptr;
};

// For a stream created elsewhere, before cudaStreamDestroy: synchronises it, frees the calling
// thread's workspace and cuBLAS handle for it and moves its cached memory to the default
// stream's pools (allocator.h). Other threads' workspaces for it are freed at their exit.
void forget_stream(cudaStream_t stream, int device = -1);

// cuBLAS: one handle per (thread, device, stream), so two streams never share the handle's
// internal workspace. cuDNN: one handle per (thread, device) bound to current_stream(device)
// at each retrieval (its scratch is the per-stream workspace below).
cublasHandle_t cublas_handle(int device = -1);
cudnnHandle_t cudnn_handle(int device = -1);

// TF32 policy (PyTorch's defaults: convolutions allowed, matmul not).
void set_allow_tf32_conv(bool on);
void set_allow_tf32_matmul(bool on);
bool allow_tf32_conv();
bool allow_tf32_matmul();

// Scratch memory for cuDNN and split reductions, from the caching allocator: one per (thread,
// device, current stream), so kernels on two streams never share it. Grows, never shrinks
// (until empty_cache). Valid until the next call on the same device and stream.
void* workspace(size_t nbytes, int device = -1);
// Bytes the calling thread's workspace for the current stream holds now.
size_t workspace_bytes(int device = -1);

}  // namespace cohort::cuda
