// Softmax and log-softmax over the last dim (rows of [rows, C]), forward and backward, with the
// CPU reference's formulas (kernels/cpu/nn_softmax.cpp):
//   forward:  m = max x, e = exp(x − m), S = Σe (in double);
//             softmax y = e · (1/S),  log_softmax y = x − (m + log S)
//   backward: softmax dx = y·(dy − Σdy·y),  log_softmax dx = dy − exp(y)·Σdy   (sums in double)
//
// Two versions, chosen by row length:
//   C <= 1024 — warp per row: a lane holds ceil(C/32) elements in registers (kPerLane, a
//     compile-time power of two so the register array never spills), reductions are warp
//     shuffles; the row is read from memory once and written once. 8 rows per 256-thread block.
//   C > 1024 — block per row (256 threads): pass 1 computes max and Σexp together ("online
//     softmax": a running sum rescaled whenever the running max grows), pass 2 writes; the row
//     is read twice (the second read mostly hits L2).
// Bytes per call: forward reads x once (twice above 1024) and writes y; backward reads y and dy
// once (twice above 1024) and writes dx. FLOPs: one exp per element (two for log backward).
#include <cmath>

#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/check.h"
#include "kernels/cuda/nn_kernels.cuh"

namespace cohort::cuda::kern {

namespace {

using dev::kWarp;
constexpr int kRowsPerBlock = 8;    // warp-per-row kernels: 8 warps = 256 threads
constexpr int kRowBlock = 256;      // block-per-row kernels

// The row maximum keeps its `>` comparison (as the CPU's std::max_element) rather than the shared
// fmax, which treats a NaN differently: the NaN handling stays exactly as tested.
struct RowMax {
  template <typename T>
  __device__ __forceinline__ T operator()(T v, T o) const { return o > v ? o : v; }
};
template <typename T>
__device__ __forceinline__ T warp_max(T v) { return dev::group_reduce<kWarp>(v, RowMax{}); }
__device__ __forceinline__ double warp_sum(double v) { return dev::group_sum<kWarp>(v); }

// ---- warp per row -----------------------------------------------------------------------------

template <typename T, int kPerLane>
__global__ void softmax_warp_kernel(const T* x, T* y, int64_t rows, int cols, bool log) {
  const int64_t row = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / kWarp;
  const int lane = threadIdx.x % kWarp;
  if (row >= rows) return;  // whole warps: every lane of a warp has the same row
  const T* xr = x + row * cols;
  T* yr = y + row * cols;
  T v[kPerLane];
  T m = -INFINITY;
#pragma unroll
  for (int k = 0; k < kPerLane; ++k) {
    const int c = lane + k * kWarp;
    v[k] = c < cols ? xr[c] : T(-INFINITY);
    m = v[k] > m ? v[k] : m;
  }
  m = warp_max(m);
  double sum = 0.0;
#pragma unroll
  for (int k = 0; k < kPerLane; ++k)
    if (lane + k * kWarp < cols) sum += static_cast<double>(std::exp(v[k] - m));
  sum = warp_sum(sum);
  if (log) {
    const T shift = m + static_cast<T>(std::log(sum));
#pragma unroll
    for (int k = 0; k < kPerLane; ++k) {
      const int c = lane + k * kWarp;
      if (c < cols) yr[c] = v[k] - shift;
    }
  } else {
    const T inv = static_cast<T>(1.0 / sum);
#pragma unroll
    for (int k = 0; k < kPerLane; ++k) {
      const int c = lane + k * kWarp;
      if (c < cols) yr[c] = std::exp(v[k] - m) * inv;
    }
  }
}

template <typename T, int kPerLane>
__global__ void softmax_backward_warp_kernel(const T* y, const T* dy, T* dx, int64_t rows, int cols,
                                             bool log) {
  const int64_t row = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / kWarp;
  const int lane = threadIdx.x % kWarp;
  if (row >= rows) return;
  const T* yr = y + row * cols;
  const T* dyr = dy + row * cols;
  T* dxr = dx + row * cols;
  T vy[kPerLane], vd[kPerLane];
  double dot = 0.0;
#pragma unroll
  for (int k = 0; k < kPerLane; ++k) {
    const int c = lane + k * kWarp;
    vy[k] = c < cols ? yr[c] : T(0);
    vd[k] = c < cols ? dyr[c] : T(0);
    dot += log ? static_cast<double>(vd[k]) : static_cast<double>(vd[k]) * static_cast<double>(vy[k]);
  }
  const T s = static_cast<T>(warp_sum(dot));
#pragma unroll
  for (int k = 0; k < kPerLane; ++k) {
    const int c = lane + k * kWarp;
    if (c < cols) dxr[c] = log ? vd[k] - std::exp(vy[k]) * s : vy[k] * (vd[k] - s);
  }
}

// ---- block per row ----------------------------------------------------------------------------

// Running (max, Σexp(x − max)) pairs: merging rescales the sum of the smaller max.
template <typename T>
struct MaxSum {
  T m;
  double s;
};

template <typename T>
__device__ __forceinline__ MaxSum<T> merge(MaxSum<T> a, MaxSum<T> b) {
  const T m = a.m > b.m ? a.m : b.m;
  // Equal maxima (including both −inf) need no rescaling and must not compute exp(−inf + inf).
  const double sa = a.m == m ? a.s : a.s * static_cast<double>(std::exp(a.m - m));
  const double sb = b.m == m ? b.s : b.s * static_cast<double>(std::exp(b.m - m));
  return {m, sa + sb};
}

template <typename T>
__device__ __forceinline__ MaxSum<T> shfl_xor(MaxSum<T> v, int o, int W) {
  return {dev::shfl_xor(v.m, o, W), dev::shfl_xor(v.s, o, W)};
}
struct MergeMaxSum {
  template <typename T>
  __device__ __forceinline__ MaxSum<T> operator()(MaxSum<T> a, MaxSum<T> b) const { return merge(a, b); }
};

// The block-wide merge of every thread's pair, returned to all threads.
template <typename T>
__device__ MaxSum<T> block_merge(MaxSum<T> v) {
  return dev::block_reduce<kRowBlock>(v, MergeMaxSum{}, MaxSum<T>{T(-INFINITY), 0.0});
}

__device__ double block_sum(double v) { return dev::block_sum<kRowBlock>(v); }

template <typename T>
__global__ void softmax_block_kernel(const T* x, T* y, int64_t cols, bool log) {
  const T* xr = x + static_cast<int64_t>(blockIdx.x) * cols;
  T* yr = y + static_cast<int64_t>(blockIdx.x) * cols;
  MaxSum<T> acc{T(-INFINITY), 0.0};
  for (int64_t c = threadIdx.x; c < cols; c += kRowBlock) {
    const T v = xr[c];
    if (v > acc.m) {
      acc.s = acc.s * static_cast<double>(std::exp(acc.m - v)) + 1.0;
      acc.m = v;
    } else {
      // v == max (also both −inf) contributes exp(0) = 1 without computing exp(−inf + inf).
      acc.s += v == acc.m ? 1.0 : static_cast<double>(std::exp(v - acc.m));
    }
  }
  const MaxSum<T> row = block_merge(acc);
  if (log) {
    const T shift = row.m + static_cast<T>(std::log(row.s));
    for (int64_t c = threadIdx.x; c < cols; c += kRowBlock) yr[c] = xr[c] - shift;
  } else {
    const T inv = static_cast<T>(1.0 / row.s);
    for (int64_t c = threadIdx.x; c < cols; c += kRowBlock) yr[c] = std::exp(xr[c] - row.m) * inv;
  }
}

template <typename T>
__global__ void softmax_backward_block_kernel(const T* y, const T* dy, T* dx, int64_t cols, bool log) {
  const int64_t base = static_cast<int64_t>(blockIdx.x) * cols;
  double dot = 0.0;
  for (int64_t c = threadIdx.x; c < cols; c += kRowBlock)
    dot += log ? static_cast<double>(dy[base + c])
               : static_cast<double>(dy[base + c]) * static_cast<double>(y[base + c]);
  const T s = static_cast<T>(block_sum(dot));
  for (int64_t c = threadIdx.x; c < cols; c += kRowBlock) {
    const T vy = y[base + c], vd = dy[base + c];
    dx[base + c] = log ? vd - std::exp(vy) * s : vy * (vd - s);
  }
}

// Smallest power-of-two kPerLane with 32·kPerLane >= cols (cols <= 1024).
int per_lane(int64_t cols) {
  int k = 1;
  while (k * kWarp < cols) k *= 2;
  return k;
}

template <typename T, typename Launch>
void with_per_lane(int64_t cols, Launch launch) {
  switch (per_lane(cols)) {
    case 1: launch.template operator()<1>(); break;
    case 2: launch.template operator()<2>(); break;
    case 4: launch.template operator()<4>(); break;
    case 8: launch.template operator()<8>(); break;
    case 16: launch.template operator()<16>(); break;
    default: launch.template operator()<32>(); break;
  }
}

constexpr int64_t kWarpMaxCols = 1024;

}  // namespace

template <typename T>
void softmax_forward(const T* x, T* y, int64_t rows, int64_t cols, bool log, cudaStream_t stream) {
  if (rows <= 0 || cols <= 0) return;
  COHORT_CHECK(rows <= 0x7fffffff, "softmax: {} rows exceed the kernel's grid", rows);
  if (cols <= kWarpMaxCols) {
    const unsigned blocks = static_cast<unsigned>((rows + kRowsPerBlock - 1) / kRowsPerBlock);
    with_per_lane<T>(cols, [&]<int K>() {
      softmax_warp_kernel<T, K><<<blocks, kRowsPerBlock * kWarp, 0, stream>>>(
          x, y, rows, static_cast<int>(cols), log);
    });
  } else {
    softmax_block_kernel<T><<<static_cast<unsigned>(rows), kRowBlock, 0, stream>>>(x, y, cols, log);
  }
  COHORT_LAUNCH_CHECK();
}

template <typename T>
void softmax_backward(const T* y, const T* grad_y, T* grad_x, int64_t rows, int64_t cols, bool log,
                      cudaStream_t stream) {
  if (rows <= 0 || cols <= 0) return;
  COHORT_CHECK(rows <= 0x7fffffff, "softmax_backward: {} rows exceed the kernel's grid", rows);
  if (cols <= kWarpMaxCols) {
    const unsigned blocks = static_cast<unsigned>((rows + kRowsPerBlock - 1) / kRowsPerBlock);
    with_per_lane<T>(cols, [&]<int K>() {
      softmax_backward_warp_kernel<T, K><<<blocks, kRowsPerBlock * kWarp, 0, stream>>>(
          y, grad_y, grad_x, rows, static_cast<int>(cols), log);
    });
  } else {
    softmax_backward_block_kernel<T><<<static_cast<unsigned>(rows), kRowBlock, 0, stream>>>(
        y, grad_y, grad_x, cols, log);
  }
  COHORT_LAUNCH_CHECK();
}

template void softmax_forward<float>(const float*, float*, int64_t, int64_t, bool, cudaStream_t);
template void softmax_forward<double>(const double*, double*, int64_t, int64_t, bool, cudaStream_t);
template void softmax_backward<float>(const float*, const float*, float*, int64_t, int64_t, bool, cudaStream_t);
template void softmax_backward<double>(const double*, const double*, double*, int64_t, int64_t, bool, cudaStream_t);

}  // namespace cohort::cuda::kern
