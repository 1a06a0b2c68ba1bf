// Per-device CUDA context: the current stream and the lazily created, RAII-owned cuBLAS and
// cuDNN handles bound to it, the TF32 policy, and the one growable workspace.
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

// Handles bound to current_stream(device); created on first use.
cublasHandle_t cublas_handle(int device = -1);
cudnnHandle_t cudnn_handle(int device = -1);

// TF32 policy (PyTorch's defaults: convolutions allowed, matmul not).
void set_allow_tf32_conv(bool on);
void set_allow_tf32_matmul(bool on);
bool allow_tf32_conv();
bool allow_tf32_matmul();

// Scratch memory for cuDNN/cuBLAS/split-K kernels, from the caching allocator; grows, never
// shrinks (until empty_cache). Valid until the next call on the same device.
void* workspace(size_t nbytes, int device = -1);

}  // namespace cohort::cuda
