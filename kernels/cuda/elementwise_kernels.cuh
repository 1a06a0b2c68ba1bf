// Raw-pointer launchers of the elementwise kernels (elementwise.cu), called by the view-facing
// wrappers in elementwise.cpp. All pointers are device pointers of contiguous arrays; every
// launcher queues on `stream` and checks the launch. Instantiated for float and double (fill,
// cast and broadcast_copy also for int64_t and uint8_t).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/common/op_enums.h"

namespace cohort::cuda::kern {

constexpr int kMaxDims = 8;

// A broadcast over an output of `rank` dims (row-major sizes), with each input's element
// strides (0 on broadcast dims). Built and coalesced on the host (elementwise.cpp).
struct BroadcastGeom {
  int rank = 0;
  int64_t sizes[kMaxDims] = {};
  int64_t stride_a[kMaxDims] = {};
  int64_t stride_b[kMaxDims] = {};
};

// out[i] = a[i] op b[i]                                     a, b, out [n]
template <typename T>
void binary_same(BinaryOp op, const T* a, const T* b, T* out, int64_t n, cudaStream_t stream);
// out[i] = a[i] op b[0] (b is a one-element device array)   a, out [n]
template <typename T>
void binary_scalar_tensor(BinaryOp op, const T* a, const T* b, T* out, int64_t n, cudaStream_t stream);
// out[i] = a[i] op s (host scalar)                          a, out [n]
template <typename T>
void binary_scalar(BinaryOp op, const T* a, T s, T* out, int64_t n, cudaStream_t stream);
// out[o] = a[ia(o)] op b[ib(o)]                             out [n], geometry g
template <typename T>
void binary_broadcast(BinaryOp op, const T* a, const T* b, T* out, int64_t n,
                      const BroadcastGeom& g, cudaStream_t stream);
// out[o] = in[ia(o)] (stride_a of g)                        out [n]
template <typename T>
void broadcast_copy(const T* in, T* out, int64_t n, const BroadcastGeom& g, cudaStream_t stream);

template <typename T>
void unary(UnaryOp op, const T* a, T* out, int64_t n, T param, cudaStream_t stream);
// grad_in[i] = grad_out[i] * f'(x[i], y[i])
template <typename T>
void unary_backward(UnaryOp op, const T* grad_out, const T* x, const T* y, T* grad_in, int64_t n,
                    T param, cudaStream_t stream);

template <typename T>
void axpy(T* y, T alpha, const T* x, int64_t n, cudaStream_t stream);  // y += alpha x
template <typename T>
void scale(T* y, T alpha, int64_t n, cudaStream_t stream);              // y *= alpha
template <typename T>
void fill(T* p, T value, int64_t n, cudaStream_t stream);
template <typename S, typename D>
void cast(const S* src, D* dst, int64_t n, cudaStream_t stream);

// Philox fills (kernels/common/philox.h): element i takes stream index i of the draw that
// starts at block `offset` — the numbers the CPU kernels produce for the same (seed, offset).
template <typename T>
void uniform_fill(T* p, int64_t n, uint64_t seed, uint64_t offset, T low, T span, cudaStream_t stream);
template <typename T>
void normal_fill(T* p, int64_t n, uint64_t seed, uint64_t offset, T mean, T std, cudaStream_t stream);
template <typename T>
void bernoulli_fill(T* p, int64_t n, uint64_t seed, uint64_t offset, float prob, cudaStream_t stream);

}  // namespace cohort::cuda::kern
