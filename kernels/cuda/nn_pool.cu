// Max and average pooling over NCHW planes, hand-written to reproduce the CPU reference
// (kernels/cpu/nn_pool.cpp) exactly: the same windows (kernels/common/pool_math.h), the same
// argmax rule (strict >, so the first maximum wins; NaN wins), the same summation order.
//
// Forward: a thread per output element scans its window (kernel_h·kernel_w loads, cached).
// Backward, gather form: a thread per INPUT element visits the few output windows that cover it
// (kernels/common/pool_math.h covering_outputs) in (p, q) order and adds their contributions —
//   max: dy[p, q] where indices[p, q] is this element,  avg: dy[p, q] / divisor(p, q).
// That is the order in which the CPU's scatter loop adds them, so results match bit for bit,
// and it needs neither atomics nor a zero-fill pass.
// Bytes per call: forward reads x (≈ once when stride = kernel) and writes y (+ i64 indices);
// backward reads dy (+ indices) and writes dx.
// Versions: v1 (this file); cuDNN pooling would be version 0 but returns no indices.
#include "kernels/common/pool_math.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/nn_kernels.cuh"

namespace cohort::cuda::kern {

namespace {

template <typename T>
__global__ void max_forward_kernel(const T* x, T* y, int64_t* indices, PoolGeom g) {
  const int64_t total = g.planes * g.P * g.Q;
  COHORT_GRID_STRIDE_LOOP(o, total) {
    const int64_t q = o % g.Q, p = (o / g.Q) % g.P, plane = o / (g.P * g.Q);
    const T* xp = x + plane * g.H * g.W;
    const int64_t h0 = math::window_begin(p, g.sh, g.ph), h1 = math::window_end(p, g.sh, g.ph, g.kh, g.H);
    const int64_t w0 = math::window_begin(q, g.sw, g.pw), w1 = math::window_end(q, g.sw, g.pw, g.kw, g.W);
    T best = -INFINITY;
    int64_t best_at = h0 * g.W + w0;
    for (int64_t h = h0; h < h1; ++h)
      for (int64_t w = w0; w < w1; ++w) {
        const T v = xp[h * g.W + w];
        if (v > best || isnan(static_cast<double>(v))) {
          best = v;
          best_at = h * g.W + w;
        }
      }
    y[o] = best;
    indices[o] = best_at;
  }
}

template <typename T>
__global__ void max_backward_kernel(const T* dy, const int64_t* indices, T* dx, PoolGeom g) {
  const int64_t total = g.planes * g.H * g.W;
  COHORT_GRID_STRIDE_LOOP(i, total) {
    const int64_t w = i % g.W, h = (i / g.W) % g.H, plane = i / (g.H * g.W);
    const int64_t here = h * g.W + w;
    int64_t p0, p1, q0, q1;
    math::covering_outputs(h, g.sh, g.ph, g.kh, g.P, &p0, &p1);
    math::covering_outputs(w, g.sw, g.pw, g.kw, g.Q, &q0, &q1);
    const int64_t* ip = indices + plane * g.P * g.Q;
    const T* dyp = dy + plane * g.P * g.Q;
    T acc = T(0);
    for (int64_t p = p0; p <= p1; ++p)
      for (int64_t q = q0; q <= q1; ++q)
        if (ip[p * g.Q + q] == here) acc += dyp[p * g.Q + q];
    dx[i] = acc;
  }
}

template <typename T>
__global__ void avg_forward_kernel(const T* x, T* y, PoolGeom g, bool include_pad) {
  const int64_t total = g.planes * g.P * g.Q;
  COHORT_GRID_STRIDE_LOOP(o, total) {
    const int64_t q = o % g.Q, p = (o / g.Q) % g.P, plane = o / (g.P * g.Q);
    const T* xp = x + plane * g.H * g.W;
    const int64_t h0 = math::window_begin(p, g.sh, g.ph), h1 = math::window_end(p, g.sh, g.ph, g.kh, g.H);
    const int64_t w0 = math::window_begin(q, g.sw, g.pw), w1 = math::window_end(q, g.sw, g.pw, g.kw, g.W);
    T sum = T(0);
    for (int64_t h = h0; h < h1; ++h)
      for (int64_t w = w0; w < w1; ++w) sum += xp[h * g.W + w];
    const int64_t div =
        math::avg_pool_divisor(p, q, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, include_pad);
    y[o] = div > 0 ? sum / static_cast<T>(div) : T(0);
  }
}

template <typename T>
__global__ void avg_backward_kernel(const T* dy, T* dx, PoolGeom g, bool include_pad) {
  const int64_t total = g.planes * g.H * g.W;
  COHORT_GRID_STRIDE_LOOP(i, total) {
    const int64_t w = i % g.W, h = (i / g.W) % g.H, plane = i / (g.H * g.W);
    int64_t p0, p1, q0, q1;
    math::covering_outputs(h, g.sh, g.ph, g.kh, g.P, &p0, &p1);
    math::covering_outputs(w, g.sw, g.pw, g.kw, g.Q, &q0, &q1);
    const T* dyp = dy + plane * g.P * g.Q;
    T acc = T(0);
    for (int64_t p = p0; p <= p1; ++p)
      for (int64_t q = q0; q <= q1; ++q) {
        const int64_t div =
            math::avg_pool_divisor(p, q, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, include_pad);
        if (div > 0) acc += dyp[p * g.Q + q] / static_cast<T>(div);
      }
    dx[i] = acc;
  }
}

}  // namespace

template <typename T>
void max_pool2d_forward(const T* x, T* y, int64_t* indices, const PoolGeom& g, cudaStream_t stream) {
  const int64_t total = g.planes * g.P * g.Q;
  if (total <= 0) return;
  max_forward_kernel<T><<<grid_for(total), kBlock, 0, stream>>>(x, y, indices, g);
  COHORT_LAUNCH_CHECK();
}

template <typename T>
void max_pool2d_backward(const T* grad_y, const int64_t* indices, T* grad_x, const PoolGeom& g,
                         cudaStream_t stream) {
  const int64_t total = g.planes * g.H * g.W;
  if (total <= 0) return;
  max_backward_kernel<T><<<grid_for(total), kBlock, 0, stream>>>(grad_y, indices, grad_x, g);
  COHORT_LAUNCH_CHECK();
}

template <typename T>
void avg_pool2d_forward(const T* x, T* y, const PoolGeom& g, bool count_include_pad,
                        cudaStream_t stream) {
  const int64_t total = g.planes * g.P * g.Q;
  if (total <= 0) return;
  avg_forward_kernel<T><<<grid_for(total), kBlock, 0, stream>>>(x, y, g, count_include_pad);
  COHORT_LAUNCH_CHECK();
}

template <typename T>
void avg_pool2d_backward(const T* grad_y, T* grad_x, const PoolGeom& g, bool count_include_pad,
                         cudaStream_t stream) {
  const int64_t total = g.planes * g.H * g.W;
  if (total <= 0) return;
  avg_backward_kernel<T><<<grid_for(total), kBlock, 0, stream>>>(grad_y, grad_x, g, count_include_pad);
  COHORT_LAUNCH_CHECK();
}

#define COHORT_INSTANTIATE_POOL(T)                                                               \
  template void max_pool2d_forward<T>(const T*, T*, int64_t*, const PoolGeom&, cudaStream_t);    \
  template void max_pool2d_backward<T>(const T*, const int64_t*, T*, const PoolGeom&, cudaStream_t); \
  template void avg_pool2d_forward<T>(const T*, T*, const PoolGeom&, bool, cudaStream_t);        \
  template void avg_pool2d_backward<T>(const T*, T*, const PoolGeom&, bool, cudaStream_t);
COHORT_INSTANTIATE_POOL(float)
COHORT_INSTANTIATE_POOL(double)

}  // namespace cohort::cuda::kern
