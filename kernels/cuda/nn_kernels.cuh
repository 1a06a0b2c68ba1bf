// Raw-pointer launchers of the hand-written NCHW kernels (nn_batch_norm.cu, nn_pool.cu,
// nn_pad.cu, nn_softmax.cu), called by the Tensor wrappers in nn_*.cpp. Device pointers of
// contiguous arrays; every launcher queues on `stream` and checks its launches. Instantiated
// for float and double.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/common/nn_params.h"

namespace cohort::cuda::kern {

// ---- batch norm over (N, H·W) per channel: x [N, C, HW] -------------------------------------
struct BnGeom {
  int64_t N, C, HW;
};
// Scratch bytes the batch-norm launchers need (partial sums and per-channel coefficients).
size_t batch_norm_workspace_bytes(const BnGeom& g, int sms, size_t elem_size);
// Nullable pointers: weight, bias (no affine), running_mean/var (no running stats). relu: a fused
// ReLU on the output.
template <typename T>
void batch_norm_forward_train(const T* x, const T* weight, const T* bias, T* running_mean,
                              T* running_var, double momentum, double eps, bool relu, T* y,
                              T* save_mean, T* save_invstd, const BnGeom& g, int sms,
                              void* workspace, cudaStream_t stream);
template <typename T>
void batch_norm_forward_eval(const T* x, const T* weight, const T* bias, const T* running_mean,
                             const T* running_var, double eps, bool relu, T* y, const BnGeom& g,
                             void* workspace, cudaStream_t stream);
// Nullable: weight, grad_weight, grad_bias, and relu_y (the fused-ReLU forward's output: grad_y
// counts only where it is positive).
template <typename T>
void batch_norm_backward(const T* grad_y, const T* relu_y, const T* x, const T* weight,
                         const T* save_mean, const T* save_invstd, T* grad_x, T* grad_weight,
                         T* grad_bias, const BnGeom& g, int sms, void* workspace,
                         cudaStream_t stream);

// ---- pooling: planes = N·C, x [planes, H, W], y [planes, P, Q] ------------------------------
struct PoolGeom {
  int64_t planes, H, W, P, Q;
  int64_t kh, kw, sh, sw, ph, pw;
};
template <typename T>
void max_pool2d_forward(const T* x, T* y, int64_t* indices, const PoolGeom& g, cudaStream_t stream);
template <typename T>
void max_pool2d_backward(const T* grad_y, const int64_t* indices, T* grad_x, const PoolGeom& g,
                         cudaStream_t stream);
template <typename T>
void avg_pool2d_forward(const T* x, T* y, const PoolGeom& g, bool count_include_pad,
                        cudaStream_t stream);
template <typename T>
void avg_pool2d_backward(const T* grad_y, T* grad_x, const PoolGeom& g, bool count_include_pad,
                         cudaStream_t stream);

// ---- padding: x [planes, H, W], y [planes, OH, OW] ------------------------------------------
struct PadGeom {
  int64_t planes, H, W, OH, OW, top, left;
};
template <typename T>
void pad2d_forward(const T* x, T* y, const PadGeom& g, PadMode mode, cudaStream_t stream);
template <typename T>
void pad2d_backward(const T* grad_y, T* grad_x, const PadGeom& g, PadMode mode, cudaStream_t stream);

// ---- softmax over rows of [rows, cols] ------------------------------------------------------
template <typename T>
void softmax_forward(const T* x, T* y, int64_t rows, int64_t cols, bool log, cudaStream_t stream);
template <typename T>
void softmax_backward(const T* y, const T* grad_y, T* grad_x, int64_t rows, int64_t cols, bool log,
                      cudaStream_t stream);

}  // namespace cohort::cuda::kern
