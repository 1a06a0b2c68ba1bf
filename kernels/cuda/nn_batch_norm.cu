// Batch norm over (N, H, W) per channel, hand-written to match the CPU contract exactly
// (kernels/cpu/nn_batch_norm.cpp): biased variance for normalisation, unbiased variance for
// running_var, any eps, optional affine and running statistics.
//
// Algorithm, x viewed as [N, C, HW], M = N·HW values per channel:
//   1. partial sums: grid (C, splits); block (c, s) walks a chunk of channel c's M values and
//      block-reduces, in double, Σ(x − K) and Σ(x − K)² with K = x[0, c, 0] (centring on a
//      sample of the channel keeps Σ(x−mean)² = S2 − S1²/M accurate in one pass). splits is
//      chosen so that C·splits blocks fill the GPU even for C = 16.
//   2. finalize: a thread per channel adds its splits' partials in order (deterministic, no
//      atomics), computes mean, invstd, the running-stat update and the per-channel
//      coefficients, rounded to T as the CPU does.
//   3. apply: y = x·scale[c] + shift[c] over all elements (grid-stride; the channel index is
//      advanced incrementally, no division per element).
// Backward: the same three steps with Σdy and Σdy·(x − mean), then
//   dx = dy·a[c] + (x − mean[c])·b[c] + d[c],  a = γ·invstd, b = −a·invstd²·Σdy(x−mean)/M,
//   d = −a·Σdy/M  (the CPU's formulas).
// Fused ReLU (batch_norm2d_relu): apply writes relu(y); backward reads dy·relu'(y_out) wherever
// it reads dy (step 1 and 3), from the forward's output, as the separate ReLU's backward would.
// Bytes per call: train reads x twice and writes y; backward reads x and dy twice, writes dx
// (and the fused output twice with the ReLU); eval reads x once and writes y.
// Versions: v1 (this file). cuDNN's batch norm is the obvious version 0, not used here because
// it needs eps >= 1e-5 and affine parameters, and saves its statistics in its own convention.
#include "kernels/common/elementwise_math.h"
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/check.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/nn_kernels.cuh"

namespace cohort::cuda::kern {

namespace {

constexpr int kBnBlock = 256;
constexpr int64_t kMinChunk = 4096;  // fewest values a split block is worth
constexpr size_t kAlign = 256;

__host__ __device__ inline int64_t count(const BnGeom& g) { return g.N * g.HW; }

int bn_splits(const BnGeom& g, int sms) {
  if (g.C <= 0) return 1;
  const int64_t target = int64_t{sms} * 4;
  const int64_t by_fill = (target + g.C - 1) / g.C;
  const int64_t by_size = (count(g) + kMinChunk - 1) / kMinChunk;
  int64_t s = by_fill < by_size ? by_fill : by_size;
  if (s < 1) s = 1;
  if (s > 4096) s = 4096;
  return static_cast<int>(s);
}

size_t partial_bytes(const BnGeom& g, int splits) {
  const size_t raw = static_cast<size_t>(g.C) * static_cast<size_t>(splits) * 2 * sizeof(double);
  return (raw + kAlign - 1) / kAlign * kAlign;
}

// A pair of sums reduced together (one barrier for both).
struct Sum2 {
  double a, b;
};
__device__ __forceinline__ Sum2 shfl_xor(Sum2 v, int o, int W) {
  return {dev::shfl_xor(v.a, o, W), dev::shfl_xor(v.b, o, W)};
}
struct AddSum2 {
  __device__ __forceinline__ Sum2 operator()(Sum2 x, Sum2 y) const { return {x.a + y.a, x.b + y.b}; }
};

// Sum of two doubles over the block (every thread of the block calls it; the callers read
// thread 0's result).
__device__ void block_sum2(double& a, double& b) {
  const Sum2 r = dev::block_reduce<kBnBlock>(Sum2{a, b}, AddSum2{}, Sum2{0.0, 0.0});
  a = r.a;
  b = r.b;
}

// Visits channel c's values m in [begin, end) with stride kBnBlock starting at begin + tid,
// calling f(offset) with offset = (n·C + c)·HW + hw; (n, hw) advance without divisions.
template <typename F>
__device__ void walk_channel(const BnGeom& g, int64_t c, int64_t begin, int64_t end, F f) {
  int64_t m = begin + threadIdx.x;
  if (m >= end) return;
  int64_t n = m / g.HW, hw = m % g.HW;
  const int64_t q = kBnBlock / g.HW, r = kBnBlock % g.HW;
  for (; m < end; m += kBnBlock) {
    f((n * g.C + c) * g.HW + hw);
    n += q;
    hw += r;
    if (hw >= g.HW) {
      hw -= g.HW;
      ++n;
    }
  }
}

// partial[(c·splits + s)·2 + {0,1}] = Σ(x − K), Σ(x − K)² over block (c, s)'s chunk.
template <typename T>
__global__ void stats_kernel(const T* x, BnGeom g, int64_t chunk, double* partial) {
  const int64_t c = blockIdx.x, split = blockIdx.y, splits = gridDim.y;
  const int64_t begin = split * chunk;
  const int64_t end = begin + chunk < count(g) ? begin + chunk : count(g);
  const double centre = static_cast<double>(x[c * g.HW]);
  double s1 = 0.0, s2 = 0.0;
  walk_channel(g, c, begin, end, [&](int64_t off) {
    const double v = static_cast<double>(x[off]) - centre;
    s1 += v;
    s2 += v * v;
  });
  block_sum2(s1, s2);
  if (threadIdx.x == 0) {
    partial[(c * splits + split) * 2] = s1;
    partial[(c * splits + split) * 2 + 1] = s2;
  }
}

// The incoming gradient at element i: dy, or after a fused ReLU with output relu_y, dy times the
// ReLU's derivative (math::unary_derivative: the separate op's values).
template <typename T>
__device__ T masked_grad(const T* dy, const T* relu_y, int64_t i) {
  return relu_y ? dy[i] * math::unary_derivative(UnaryOp::relu, T(0), relu_y[i], T(0)) : dy[i];
}

// partial[(c·splits + s)·2 + {0,1}] = Σdy, Σdy·(x − mean[c]) (dy masked by relu_y when given).
template <typename T>
__global__ void backward_sums_kernel(const T* dy, const T* relu_y, const T* x, const T* save_mean,
                                     BnGeom g, int64_t chunk, double* partial) {
  const int64_t c = blockIdx.x, split = blockIdx.y, splits = gridDim.y;
  const int64_t begin = split * chunk;
  const int64_t end = begin + chunk < count(g) ? begin + chunk : count(g);
  const double mean = static_cast<double>(save_mean[c]);
  double s1 = 0.0, s2 = 0.0;
  walk_channel(g, c, begin, end, [&](int64_t off) {
    const double d = static_cast<double>(masked_grad(dy, relu_y, off));
    s1 += d;
    s2 += d * (static_cast<double>(x[off]) - mean);
  });
  block_sum2(s1, s2);
  if (threadIdx.x == 0) {
    partial[(c * splits + split) * 2] = s1;
    partial[(c * splits + split) * 2 + 1] = s2;
  }
}

__device__ void channel_sums(const double* partial, int64_t c, int splits, double& s1, double& s2) {
  s1 = 0.0;
  s2 = 0.0;
  for (int s = 0; s < splits; ++s) {
    s1 += partial[(c * splits + s) * 2];
    s2 += partial[(c * splits + s) * 2 + 1];
  }
}

template <typename T>
__global__ void finalize_train_kernel(const T* x, const double* partial, int splits, BnGeom g,
                                      const T* weight, const T* bias, T* running_mean,
                                      T* running_var, double momentum, double eps, T* save_mean,
                                      T* save_invstd, T* scale, T* shift) {
  const int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= g.C) return;
  double s1, s2;
  channel_sums(partial, c, splits, s1, s2);
  const double M = static_cast<double>(count(g));
  const double centred_mean = s1 / M;
  const double mean = static_cast<double>(x[c * g.HW]) + centred_mean;
  double sq = s2 - s1 * centred_mean;  // Σ(x − mean)²
  if (sq < 0.0) sq = 0.0;
  const double var = sq / M;
  const double invstd = 1.0 / sqrt(var + eps);
  save_mean[c] = static_cast<T>(mean);
  save_invstd[c] = static_cast<T>(invstd);
  const double gamma = weight ? static_cast<double>(weight[c]) : 1.0;
  const double beta = bias ? static_cast<double>(bias[c]) : 0.0;
  const double sc = gamma * invstd;
  scale[c] = static_cast<T>(sc);
  shift[c] = static_cast<T>(beta - mean * sc);
  if (running_mean)
    running_mean[c] = static_cast<T>((1.0 - momentum) * static_cast<double>(running_mean[c]) + momentum * mean);
  if (running_var) {
    const double unbiased = M > 1 ? sq / (M - 1) : var;
    running_var[c] = static_cast<T>((1.0 - momentum) * static_cast<double>(running_var[c]) + momentum * unbiased);
  }
}

template <typename T>
__global__ void eval_coefficients_kernel(const T* weight, const T* bias, const T* running_mean,
                                         const T* running_var, double eps, int64_t C, T* scale,
                                         T* shift) {
  const int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= C) return;
  const double invstd = 1.0 / sqrt(static_cast<double>(running_var[c]) + eps);
  const double gamma = weight ? static_cast<double>(weight[c]) : 1.0;
  const double beta = bias ? static_cast<double>(bias[c]) : 0.0;
  const double sc = gamma * invstd;
  scale[c] = static_cast<T>(sc);
  shift[c] = static_cast<T>(beta - static_cast<double>(running_mean[c]) * sc);
}

template <typename T>
__global__ void finalize_backward_kernel(const double* partial, int splits, BnGeom g,
                                         const T* weight, const T* save_mean, const T* save_invstd,
                                         T* grad_weight, T* grad_bias, T* a, T* b, T* d, T* mean_out) {
  const int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= g.C) return;
  double sum_dy, sum_dy_xc;
  channel_sums(partial, c, splits, sum_dy, sum_dy_xc);
  const double M = static_cast<double>(count(g));
  const double invstd = static_cast<double>(save_invstd[c]);
  if (grad_weight) grad_weight[c] = static_cast<T>(sum_dy_xc * invstd);
  if (grad_bias) grad_bias[c] = static_cast<T>(sum_dy);
  const double gamma = weight ? static_cast<double>(weight[c]) : 1.0;
  const double k = gamma * invstd;
  a[c] = static_cast<T>(k);
  b[c] = static_cast<T>(-k * invstd * invstd * sum_dy_xc / M);
  d[c] = static_cast<T>(-k * sum_dy / M);
  mean_out[c] = save_mean[c];
}

// Calls f(i, c) for every element i of [N, C, HW] in a grid-stride loop, tracking the channel
// c = (i / HW) mod C incrementally.
template <typename F>
__device__ void for_each_element(const BnGeom& g, F f) {
  const int64_t total = g.N * g.C * g.HW;
  int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= total) return;
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  const int64_t hw_step = stride % g.HW, c_step = (stride / g.HW) % g.C;
  int64_t hw = i % g.HW, c = (i / g.HW) % g.C;
  for (; i < total; i += stride) {
    f(i, c);
    hw += hw_step;
    c += c_step;
    if (hw >= g.HW) {
      hw -= g.HW;
      ++c;
    }
    if (c >= g.C) c -= g.C;
  }
}

template <typename T>
__global__ void apply_kernel(const T* x, T* y, const T* scale, const T* shift, bool relu, BnGeom g) {
  for_each_element(g, [&](int64_t i, int64_t c) {
    const T v = x[i] * scale[c] + shift[c];
    y[i] = relu ? math::unary_forward(UnaryOp::relu, v, T(0)) : v;
  });
}

template <typename T>
__global__ void apply_backward_kernel(const T* dy, const T* relu_y, const T* x, T* dx, const T* a,
                                      const T* b, const T* d, const T* mean, BnGeom g) {
  for_each_element(g, [&](int64_t i, int64_t c) {
    dx[i] = masked_grad(dy, relu_y, i) * a[c] + (x[i] - mean[c]) * b[c] + d[c];
  });
}

unsigned channel_grid(int64_t C) { return static_cast<unsigned>((C + kBnBlock - 1) / kBnBlock); }

}  // namespace

size_t batch_norm_workspace_bytes(const BnGeom& g, int sms, size_t elem_size) {
  return partial_bytes(g, bn_splits(g, sms)) + 4 * static_cast<size_t>(g.C) * elem_size;
}

template <typename T>
void batch_norm_forward_train(const T* x, const T* weight, const T* bias, T* running_mean,
                              T* running_var, double momentum, double eps, bool relu, T* y,
                              T* save_mean, T* save_invstd, const BnGeom& g, int sms,
                              void* workspace, cudaStream_t stream) {
  if (g.C <= 0 || count(g) <= 0) return;
  const int splits = bn_splits(g, sms);
  const int64_t chunk = (count(g) + splits - 1) / splits;
  double* partial = static_cast<double*>(workspace);
  T* scale = reinterpret_cast<T*>(static_cast<char*>(workspace) + partial_bytes(g, splits));
  T* shift = scale + g.C;
  stats_kernel<T><<<dim3(static_cast<unsigned>(g.C), static_cast<unsigned>(splits)), kBnBlock, 0, stream>>>(
      x, g, chunk, partial);
  COHORT_LAUNCH_CHECK();
  finalize_train_kernel<T><<<channel_grid(g.C), kBnBlock, 0, stream>>>(
      x, partial, splits, g, weight, bias, running_mean, running_var, momentum, eps, save_mean,
      save_invstd, scale, shift);
  COHORT_LAUNCH_CHECK();
  apply_kernel<T><<<grid_for(g.N * g.C * g.HW), kBlock, 0, stream>>>(x, y, scale, shift, relu, g);
  COHORT_LAUNCH_CHECK();
}

template <typename T>
void batch_norm_forward_eval(const T* x, const T* weight, const T* bias, const T* running_mean,
                             const T* running_var, double eps, bool relu, T* y, const BnGeom& g,
                             void* workspace, cudaStream_t stream) {
  if (g.C <= 0 || count(g) <= 0) return;
  T* scale = static_cast<T*>(workspace);
  T* shift = scale + g.C;
  eval_coefficients_kernel<T><<<channel_grid(g.C), kBnBlock, 0, stream>>>(
      weight, bias, running_mean, running_var, eps, g.C, scale, shift);
  COHORT_LAUNCH_CHECK();
  apply_kernel<T><<<grid_for(g.N * g.C * g.HW), kBlock, 0, stream>>>(x, y, scale, shift, relu, g);
  COHORT_LAUNCH_CHECK();
}

template <typename T>
void batch_norm_backward(const T* grad_y, const T* relu_y, const T* x, const T* weight,
                         const T* save_mean, const T* save_invstd, T* grad_x, T* grad_weight,
                         T* grad_bias,
                         const BnGeom& g, int sms, void* workspace, cudaStream_t stream) {
  if (g.C <= 0 || count(g) <= 0) return;
  const int splits = bn_splits(g, sms);
  const int64_t chunk = (count(g) + splits - 1) / splits;
  double* partial = static_cast<double*>(workspace);
  T* a = reinterpret_cast<T*>(static_cast<char*>(workspace) + partial_bytes(g, splits));
  T* b = a + g.C;
  T* d = b + g.C;
  T* mean = d + g.C;
  backward_sums_kernel<T><<<dim3(static_cast<unsigned>(g.C), static_cast<unsigned>(splits)), kBnBlock, 0, stream>>>(
      grad_y, relu_y, x, save_mean, g, chunk, partial);
  COHORT_LAUNCH_CHECK();
  finalize_backward_kernel<T><<<channel_grid(g.C), kBnBlock, 0, stream>>>(
      partial, splits, g, weight, save_mean, save_invstd, grad_weight, grad_bias, a, b, d, mean);
  COHORT_LAUNCH_CHECK();
  apply_backward_kernel<T><<<grid_for(g.N * g.C * g.HW), kBlock, 0, stream>>>(
      grad_y, relu_y, x, grad_x, a, b, d, mean, g);
  COHORT_LAUNCH_CHECK();
}

#define COHORT_INSTANTIATE_BN(T)                                                                 \
  template void batch_norm_forward_train<T>(const T*, const T*, const T*, T*, T*, double, double, \
                                            bool, T*, T*, T*, const BnGeom&, int, void*,         \
                                            cudaStream_t);                                        \
  template void batch_norm_forward_eval<T>(const T*, const T*, const T*, const T*, const T*,      \
                                           double, bool, T*, const BnGeom&, void*, cudaStream_t); \
  template void batch_norm_backward<T>(const T*, const T*, const T*, const T*, const T*,          \
                                       const T*, T*, T*, T*, const BnGeom&, int, void*,           \
                                       cudaStream_t);
COHORT_INSTANTIATE_BN(float)
COHORT_INSTANTIATE_BN(double)

}  // namespace cohort::cuda::kern
