// 2-D padding (zero, reflect) of the last two dims, matching kernels/cpu/nn_pad.cpp.
//
// Forward: a thread per output element reads the input element it maps to (0 for zero padding
// outside the input; reflection mirrors without repeating the edge: ... x2 x1 | x0 x1 x2 ...).
// Backward: a thread per input element. Zero padding: copy the matching interior element of dy.
// Reflect: an input row h is read by up to three output rows (top − h, top + h and the mirror
// at the bottom edge), likewise for columns; the thread adds those (≤ 9) dy elements in
// ascending output order — the order of the CPU's scatter loop, so sums match bit for bit,
// without atomics.
// Bytes per call: read the source once, write the destination once.
// Versions: v1 (this file).
#include "kernels/cuda/check.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/nn_kernels.cuh"

namespace cohort::cuda::kern {

namespace {

// The CPU's reflect_index: input index read at (shifted) output index i of a dim of size n.
__device__ __forceinline__ int64_t reflect_index(int64_t i, int64_t n) {
  if (i < 0) return -i;
  if (i >= n) return 2 * (n - 1) - i;
  return i;
}

// Output indices o in [0, out_size) with reflect_index(o − lead, n) == i, ascending; returns
// how many (1 to 3).
__device__ __forceinline__ int reflect_sources(int64_t i, int64_t n, int64_t lead, int64_t out_size,
                                               int64_t* out) {
  int k = 0;
  if (i > 0 && i <= lead) out[k++] = lead - i;        // mirrored in the leading pad
  out[k++] = lead + i;                                // the element itself
  const int64_t mirror = 2 * (n - 1) - i;             // mirrored in the trailing pad
  if (mirror >= n && lead + mirror < out_size) out[k++] = lead + mirror;
  return k;
}

template <typename T>
__global__ void pad_forward_kernel(const T* x, T* y, PadGeom g, PadMode mode) {
  const int64_t total = g.planes * g.OH * g.OW;
  COHORT_GRID_STRIDE_LOOP(o, total) {
    const int64_t j = o % g.OW, i = (o / g.OW) % g.OH, plane = o / (g.OH * g.OW);
    const T* xp = x + plane * g.H * g.W;
    const int64_t h = i - g.top, w = j - g.left;
    if (mode == PadMode::zero) {
      y[o] = (h >= 0 && h < g.H && w >= 0 && w < g.W) ? xp[h * g.W + w] : T(0);
    } else {
      y[o] = xp[reflect_index(h, g.H) * g.W + reflect_index(w, g.W)];
    }
  }
}

template <typename T>
__global__ void pad_backward_kernel(const T* dy, T* dx, PadGeom g, PadMode mode) {
  const int64_t total = g.planes * g.H * g.W;
  COHORT_GRID_STRIDE_LOOP(idx, total) {
    const int64_t w = idx % g.W, h = (idx / g.W) % g.H, plane = idx / (g.H * g.W);
    const T* dyp = dy + plane * g.OH * g.OW;
    if (mode == PadMode::zero) {
      dx[idx] = dyp[(h + g.top) * g.OW + (w + g.left)];
      continue;
    }
    int64_t rows[3], cols[3];
    const int nr = reflect_sources(h, g.H, g.top, g.OH, rows);
    const int nc = reflect_sources(w, g.W, g.left, g.OW, cols);
    T acc = T(0);
    for (int a = 0; a < nr; ++a)
      for (int b = 0; b < nc; ++b) acc += dyp[rows[a] * g.OW + cols[b]];
    dx[idx] = acc;
  }
}

}  // namespace

template <typename T>
void pad2d_forward(const T* x, T* y, const PadGeom& g, PadMode mode, cudaStream_t stream) {
  const int64_t total = g.planes * g.OH * g.OW;
  if (total <= 0) return;
  pad_forward_kernel<T><<<grid_for(total), kBlock, 0, stream>>>(x, y, g, mode);
  COHORT_LAUNCH_CHECK();
}

template <typename T>
void pad2d_backward(const T* grad_y, T* grad_x, const PadGeom& g, PadMode mode, cudaStream_t stream) {
  const int64_t total = g.planes * g.H * g.W;
  if (total <= 0) return;
  pad_backward_kernel<T><<<grid_for(total), kBlock, 0, stream>>>(grad_y, grad_x, g, mode);
  COHORT_LAUNCH_CHECK();
}

template void pad2d_forward<float>(const float*, float*, const PadGeom&, PadMode, cudaStream_t);
template void pad2d_forward<double>(const double*, double*, const PadGeom&, PadMode, cudaStream_t);
template void pad2d_backward<float>(const float*, float*, const PadGeom&, PadMode, cudaStream_t);
template void pad2d_backward<double>(const double*, double*, const PadGeom&, PadMode, cudaStream_t);

}  // namespace cohort::cuda::kern
