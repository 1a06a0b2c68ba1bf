// Elementwise kernels: binary ops with numpy broadcasting, unary ops and their derivatives,
// axpy/scale, fill, cast, broadcast copies and the Philox random fills.
//
// Algorithm: one thread per output element in a grid-stride loop (launch.cuh); the per-element
// formulas are kernels/common/elementwise_math.h and philox.h, the ones the CPU runs.
// Bytes per element: binary 3·sizeof(T), unary 2·sizeof(T), unary_backward 3–4·sizeof(T);
// FLOPs are negligible: every kernel here is bandwidth-bound.
// Broadcasting: the host coalesces the output dims (elementwise.cpp) and each thread turns its
// linear index into per-input offsets with one div/mod per remaining dim (usually 1–3).
// Versions: v1 — scalar loads (this file). 16-byte vectorised loads are the next version, to be
// kept only with a measured win (docs/kernels.md).
#include <cstring>

#include "kernels/common/elementwise_math.h"
#include "kernels/common/philox.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/elementwise_kernels.cuh"
#include "kernels/cuda/launch.cuh"

namespace cohort::cuda::kern {

namespace {

// Offsets of output element o into a and b.
__device__ __forceinline__ void broadcast_offsets(const BroadcastGeom& g, int64_t o, int64_t& ia,
                                                  int64_t& ib) {
  ia = 0;
  ib = 0;
  for (int d = g.rank - 1; d >= 0; --d) {
    const int64_t size = g.sizes[d];
    const int64_t idx = o % size;
    o /= size;
    ia += idx * g.stride_a[d];
    ib += idx * g.stride_b[d];
  }
}

template <typename T>
__global__ void binary_same_kernel(BinaryOp op, const T* a, const T* b, T* out, int64_t n) {
  COHORT_GRID_STRIDE_LOOP(i, n) out[i] = math::binary_apply(op, a[i], b[i]);
}

template <typename T>
__global__ void binary_scalar_tensor_kernel(BinaryOp op, const T* a, const T* b, T* out, int64_t n) {
  const T s = *b;
  COHORT_GRID_STRIDE_LOOP(i, n) out[i] = math::binary_apply(op, a[i], s);
}

template <typename T>
__global__ void binary_scalar_kernel(BinaryOp op, const T* a, T s, T* out, int64_t n) {
  COHORT_GRID_STRIDE_LOOP(i, n) out[i] = math::binary_apply(op, a[i], s);
}

template <typename T>
__global__ void binary_broadcast_kernel(BinaryOp op, const T* a, const T* b, T* out, int64_t n,
                                        BroadcastGeom g) {
  COHORT_GRID_STRIDE_LOOP(i, n) {
    int64_t ia, ib;
    broadcast_offsets(g, i, ia, ib);
    out[i] = math::binary_apply(op, a[ia], b[ib]);
  }
}

template <typename T>
__global__ void broadcast_copy_kernel(const T* in, T* out, int64_t n, BroadcastGeom g) {
  COHORT_GRID_STRIDE_LOOP(i, n) {
    int64_t ia, ib;
    broadcast_offsets(g, i, ia, ib);
    out[i] = in[ia];
  }
}

template <typename T>
__global__ void unary_kernel(UnaryOp op, const T* a, T* out, int64_t n, T param) {
  COHORT_GRID_STRIDE_LOOP(i, n) out[i] = math::unary_forward(op, a[i], param);
}

template <typename T>
__global__ void unary_backward_kernel(UnaryOp op, const T* g, const T* x, const T* y, T* gi,
                                      int64_t n, T param) {
  COHORT_GRID_STRIDE_LOOP(i, n) gi[i] = g[i] * math::unary_derivative(op, x[i], y[i], param);
}

template <typename T>
__global__ void axpy_kernel(T* y, T alpha, const T* x, int64_t n) {
  COHORT_GRID_STRIDE_LOOP(i, n) y[i] += alpha * x[i];
}

template <typename T>
__global__ void scale_kernel(T* y, T alpha, int64_t n) {
  COHORT_GRID_STRIDE_LOOP(i, n) y[i] *= alpha;
}

template <typename T>
__global__ void fill_kernel(T* p, T value, int64_t n) {
  COHORT_GRID_STRIDE_LOOP(i, n) p[i] = value;
}

template <typename S, typename D>
__global__ void cast_kernel(const S* src, D* dst, int64_t n) {
  COHORT_GRID_STRIDE_LOOP(i, n) dst[i] = static_cast<D>(src[i]);
}

// One element per thread, each recomputing its Philox block: simple and bit-identical to the
// CPU loop (one block per 4 f32 words; a block-per-thread version would cut the arithmetic 4x).
template <typename T>
__global__ void uniform_kernel(T* p, int64_t n, uint64_t seed, uint64_t offset, T low, T span) {
  COHORT_GRID_STRIDE_LOOP(i, n)
  p[i] = low + span * philox::uniform<T>(seed, offset, static_cast<uint64_t>(i));
}

template <typename T>
__global__ void normal_kernel(T* p, int64_t n, uint64_t seed, uint64_t offset, T mean, T std) {
  COHORT_GRID_STRIDE_LOOP(i, n)
  p[i] = mean + std * philox::normal<T>(seed, offset, static_cast<uint64_t>(i));
}

template <typename T>
__global__ void bernoulli_kernel(T* p, int64_t n, uint64_t seed, uint64_t offset, float prob) {
  COHORT_GRID_STRIDE_LOOP(i, n)
  p[i] = philox::uniform_f32(seed, offset, static_cast<uint64_t>(i)) < prob ? T(1) : T(0);
}

}  // namespace

#define COHORT_LAUNCH(kernel, n, stream, ...)                                \
  do {                                                                       \
    if ((n) <= 0) return;                                                    \
    kernel<<<grid_for(n), kBlock, 0, stream>>>(__VA_ARGS__);                 \
    COHORT_LAUNCH_CHECK();                                                   \
  } while (0)

template <typename T>
void binary_same(BinaryOp op, const T* a, const T* b, T* out, int64_t n, cudaStream_t stream) {
  COHORT_LAUNCH(binary_same_kernel<T>, n, stream, op, a, b, out, n);
}
template <typename T>
void binary_scalar_tensor(BinaryOp op, const T* a, const T* b, T* out, int64_t n, cudaStream_t stream) {
  COHORT_LAUNCH(binary_scalar_tensor_kernel<T>, n, stream, op, a, b, out, n);
}
template <typename T>
void binary_scalar(BinaryOp op, const T* a, T s, T* out, int64_t n, cudaStream_t stream) {
  COHORT_LAUNCH(binary_scalar_kernel<T>, n, stream, op, a, s, out, n);
}
template <typename T>
void binary_broadcast(BinaryOp op, const T* a, const T* b, T* out, int64_t n,
                      const BroadcastGeom& g, cudaStream_t stream) {
  COHORT_LAUNCH(binary_broadcast_kernel<T>, n, stream, op, a, b, out, n, g);
}
template <typename T>
void broadcast_copy(const T* in, T* out, int64_t n, const BroadcastGeom& g, cudaStream_t stream) {
  COHORT_LAUNCH(broadcast_copy_kernel<T>, n, stream, in, out, n, g);
}
template <typename T>
void unary(UnaryOp op, const T* a, T* out, int64_t n, T param, cudaStream_t stream) {
  COHORT_LAUNCH(unary_kernel<T>, n, stream, op, a, out, n, param);
}
template <typename T>
void unary_backward(UnaryOp op, const T* grad_out, const T* x, const T* y, T* grad_in, int64_t n,
                    T param, cudaStream_t stream) {
  COHORT_LAUNCH(unary_backward_kernel<T>, n, stream, op, grad_out, x, y, grad_in, n, param);
}
template <typename T>
void axpy(T* y, T alpha, const T* x, int64_t n, cudaStream_t stream) {
  COHORT_LAUNCH(axpy_kernel<T>, n, stream, y, alpha, x, n);
}
template <typename T>
void scale(T* y, T alpha, int64_t n, cudaStream_t stream) {
  COHORT_LAUNCH(scale_kernel<T>, n, stream, y, alpha, n);
}
template <typename T>
void fill(T* p, T value, int64_t n, cudaStream_t stream) {
  if (n <= 0) return;
  const T zero = T(0);
  if (std::memcmp(&value, &zero, sizeof(T)) == 0) {  // +0 (not -0): all bytes zero
    COHORT_CUDA_CHECK(cudaMemsetAsync(p, 0, static_cast<size_t>(n) * sizeof(T), stream));
    return;
  }
  COHORT_LAUNCH(fill_kernel<T>, n, stream, p, value, n);
}
template <typename S, typename D>
void cast(const S* src, D* dst, int64_t n, cudaStream_t stream) {
  if (n <= 0) return;
  cast_kernel<S, D><<<grid_for(n), kBlock, 0, stream>>>(src, dst, n);
  COHORT_LAUNCH_CHECK();
}
template <typename T>
void uniform_fill(T* p, int64_t n, uint64_t seed, uint64_t offset, T low, T span, cudaStream_t stream) {
  COHORT_LAUNCH(uniform_kernel<T>, n, stream, p, n, seed, offset, low, span);
}
template <typename T>
void normal_fill(T* p, int64_t n, uint64_t seed, uint64_t offset, T mean, T std, cudaStream_t stream) {
  COHORT_LAUNCH(normal_kernel<T>, n, stream, p, n, seed, offset, mean, std);
}
template <typename T>
void bernoulli_fill(T* p, int64_t n, uint64_t seed, uint64_t offset, float prob, cudaStream_t stream) {
  COHORT_LAUNCH(bernoulli_kernel<T>, n, stream, p, n, seed, offset, prob);
}

#define COHORT_INSTANTIATE_FLOATING(T)                                                          \
  template void binary_same<T>(BinaryOp, const T*, const T*, T*, int64_t, cudaStream_t);         \
  template void binary_scalar_tensor<T>(BinaryOp, const T*, const T*, T*, int64_t, cudaStream_t);\
  template void binary_scalar<T>(BinaryOp, const T*, T, T*, int64_t, cudaStream_t);              \
  template void binary_broadcast<T>(BinaryOp, const T*, const T*, T*, int64_t,                   \
                                    const BroadcastGeom&, cudaStream_t);                         \
  template void unary<T>(UnaryOp, const T*, T*, int64_t, T, cudaStream_t);                       \
  template void unary_backward<T>(UnaryOp, const T*, const T*, const T*, T*, int64_t, T,         \
                                  cudaStream_t);                                                 \
  template void axpy<T>(T*, T, const T*, int64_t, cudaStream_t);                                 \
  template void scale<T>(T*, T, int64_t, cudaStream_t);                                          \
  template void uniform_fill<T>(T*, int64_t, uint64_t, uint64_t, T, T, cudaStream_t);            \
  template void normal_fill<T>(T*, int64_t, uint64_t, uint64_t, T, T, cudaStream_t);             \
  template void bernoulli_fill<T>(T*, int64_t, uint64_t, uint64_t, float, cudaStream_t);
COHORT_INSTANTIATE_FLOATING(float)
COHORT_INSTANTIATE_FLOATING(double)

#define COHORT_INSTANTIATE_ANY(T)                                                               \
  template void fill<T>(T*, T, int64_t, cudaStream_t);                                           \
  template void broadcast_copy<T>(const T*, T*, int64_t, const BroadcastGeom&, cudaStream_t);    \
  template void cast<T, float>(const T*, float*, int64_t, cudaStream_t);                         \
  template void cast<T, double>(const T*, double*, int64_t, cudaStream_t);                       \
  template void cast<T, int64_t>(const T*, int64_t*, int64_t, cudaStream_t);                     \
  template void cast<T, uint8_t>(const T*, uint8_t*, int64_t, cudaStream_t);
COHORT_INSTANTIATE_ANY(float)
COHORT_INSTANTIATE_ANY(double)
COHORT_INSTANTIATE_ANY(int64_t)
COHORT_INSTANTIATE_ANY(uint8_t)

}  // namespace cohort::cuda::kern
