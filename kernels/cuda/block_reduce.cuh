// Warp and block reductions shared by every hand-written CUDA kernel (losses, softmax, reduce,
// batch norm, the lab). One definition, so the summation order — and with it the bits of every
// result — is the same wherever a row or a block is reduced. CUDA translation units only.
//
// Order: a butterfly (__shfl_xor_sync) within each warp, then the per-warp partials folded from
// warp 0 upwards, starting from the operation's identity. In lane 0 the butterfly adds exactly
// the operands a __shfl_down_sync tree would, so replacing such a tree keeps lane 0's bits.
#pragma once

#include <cuda_runtime.h>

#include <cmath>

namespace cohort::cuda::dev {

constexpr unsigned kFullMask = 0xffffffffu;
constexpr int kWarp = 32;

struct Sum {
  template <typename T>
  __device__ __forceinline__ T operator()(T a, T b) const { return a + b; }
};
// fmax semantics: a NaN operand loses to a number (the row maxima of the softmax family, where
// NaN rows are caught by the sums that follow).
struct Max {
  __device__ __forceinline__ float operator()(float a, float b) const { return fmaxf(a, b); }
  __device__ __forceinline__ double operator()(double a, double b) const { return fmax(a, b); }
};

// The value held by lane (lane ^ o) of this lane's group of W. Reductions of a state struct (the
// online-softmax pairs) overload shfl_xor next to the struct, shuffling member by member; the
// reductions below find that overload by argument-dependent lookup.
template <typename T>
__device__ __forceinline__ T shfl_xor(T v, int o, int W) { return __shfl_xor_sync(kFullMask, v, o, W); }

// Reduction across aligned groups of W consecutive lanes (W a power of two <= 32) with `op`.
// Every lane of the warp must call it (the mask is the full warp); every lane of a group gets
// the result.
template <int W = kWarp, typename T, typename Op>
__device__ __forceinline__ T group_reduce(T v, Op op) {
  static_assert(W > 0 && W <= kWarp && (W & (W - 1)) == 0, "a power-of-two group of lanes");
#pragma unroll
  for (int o = W / 2; o > 0; o /= 2) v = op(v, shfl_xor(v, o, W));
  return v;
}
template <int W = kWarp, typename T>
__device__ __forceinline__ T group_sum(T v) { return group_reduce<W>(v, Sum{}); }
template <int W = kWarp, typename T>
__device__ __forceinline__ T group_max(T v) { return group_reduce<W>(v, Max{}); }

// Block-wide reduction for blocks of kThreads threads (whole warps): the warp butterfly, then one
// value per warp through shared memory, folded in warp order from `identity`. Every thread gets
// the result; callable repeatedly in a row (the trailing barrier protects the shared slots from
// the next call). Every thread of the block must call it.
template <int kThreads, typename T, typename Op>
__device__ __forceinline__ T block_reduce(T v, Op op, T identity) {
  static_assert(kThreads % kWarp == 0 && kThreads <= 1024, "a block of whole warps");
  __shared__ T partial[kThreads / kWarp];
  v = group_reduce<kWarp>(v, op);
  if (threadIdx.x % kWarp == 0) partial[threadIdx.x / kWarp] = v;
  __syncthreads();
  T r = identity;
#pragma unroll
  for (int w = 0; w < kThreads / kWarp; ++w) r = op(r, partial[w]);  // same order in every thread
  __syncthreads();
  return r;
}
template <int kThreads, typename T>
__device__ __forceinline__ T block_sum(T v) { return block_reduce<kThreads>(v, Sum{}, T(0)); }
template <int kThreads, typename T>
__device__ __forceinline__ T block_max(T v) { return block_reduce<kThreads>(v, Max{}, T(-INFINITY)); }

}  // namespace cohort::cuda::dev
