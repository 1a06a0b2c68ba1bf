// Device helpers shared by the lab kernels (kernels/cuda/lab/*.cu): warp and block reductions,
// the online-softmax state, vector loads, the deterministic per-row finaliser, and the scratch
// buffer every lab launcher takes its per-row partial results from. CUDA translation units only.
#pragma once

#include <cuda_runtime.h>

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "kernels/cuda/allocator.h"
#include "kernels/cuda/check.h"

namespace cohort::cuda::lab {

namespace dev {

constexpr unsigned kFullMask = 0xffffffffu;

// Reductions across aligned groups of W consecutive lanes (W a power of two <= 32). Every lane
// of the warp must call them (the mask is the full warp), every lane of a group gets the result.
template <int W = 32, typename T>
__device__ __forceinline__ T group_sum(T v) {
#pragma unroll
  for (int o = W / 2; o > 0; o /= 2) v += __shfl_xor_sync(kFullMask, v, o, W);
  return v;
}
template <int W = 32>
__device__ __forceinline__ float group_max(float v) {
#pragma unroll
  for (int o = W / 2; o > 0; o /= 2) v = fmaxf(v, __shfl_xor_sync(kFullMask, v, o, W));
  return v;
}

// Block-wide sum/max for blocks of kThreads (a multiple of 32): warp shuffles, then one value per
// warp through shared memory. Every thread gets the result; callable repeatedly in a row (the
// trailing barrier protects the shared slots from the next call).
template <int kThreads, typename T>
__device__ __forceinline__ T block_sum(T v) {
  static_assert(kThreads % 32 == 0 && kThreads <= 1024, "block of whole warps");
  __shared__ T partial[kThreads / 32];
  v = group_sum<32>(v);
  if (threadIdx.x % 32 == 0) partial[threadIdx.x / 32] = v;
  __syncthreads();
  T r = 0;
#pragma unroll
  for (int w = 0; w < kThreads / 32; ++w) r += partial[w];  // same order in every thread
  __syncthreads();
  return r;
}
template <int kThreads>
__device__ __forceinline__ float block_max(float v) {
  __shared__ float partial[kThreads / 32];
  v = group_max<32>(v);
  if (threadIdx.x % 32 == 0) partial[threadIdx.x / 32] = v;
  __syncthreads();
  float r = -INFINITY;
#pragma unroll
  for (int w = 0; w < kThreads / 32; ++w) r = fmaxf(r, partial[w]);
  __syncthreads();
  return r;
}

// Online softmax state (running max m, Σ exp(x − m)), the f32 device twin of
// math::OnlineSoftmax. `aux` is an extra sum carried relative to the same max (softmax-KL's
// Σ e^{y−m}(y−x)), rescaled together with `s` whenever the max grows.
struct Online {
  float m = -INFINITY;
  float s = 0.f;
  float aux = 0.f;
  __device__ __forceinline__ void add(float x, float a = 0.f) {
    if (x == -INFINITY) return;  // exp(−inf) = 0 adds nothing (and −inf − −inf would be NaN)
    if (x > m) {
      const float r = __expf(m - x);  // m = -inf gives 0: the empty state vanishes
      s = s * r + 1.f;
      aux = aux * r + a;
      m = x;
    } else {
      const float e = expf(x - m);
      s += e;
      aux += e * a;
    }
  }
  __device__ __forceinline__ void merge(const Online& o) {
    const float mm = fmaxf(m, o.m);
    if (mm == -INFINITY) return;  // both empty
    const float ra = expf(m - mm), rb = expf(o.m - mm);
    s = s * ra + o.s * rb;
    aux = aux * ra + o.aux * rb;
    m = mm;
  }
  __device__ __forceinline__ float lse() const { return m + logf(s); }
};

template <int W = 32>
__device__ __forceinline__ Online group_merge(Online v) {
#pragma unroll
  for (int o = W / 2; o > 0; o /= 2) {
    Online other;
    other.m = __shfl_xor_sync(kFullMask, v.m, o, W);
    other.s = __shfl_xor_sync(kFullMask, v.s, o, W);
    other.aux = __shfl_xor_sync(kFullMask, v.aux, o, W);
    v.merge(other);
  }
  return v;
}
template <int kThreads>
__device__ __forceinline__ Online block_merge(Online v) {
  __shared__ Online partial[kThreads / 32];
  v = group_merge<32>(v);
  if (threadIdx.x % 32 == 0) partial[threadIdx.x / 32] = v;
  __syncthreads();
  Online r;
#pragma unroll
  for (int w = 0; w < kThreads / 32; ++w) r.merge(partial[w]);
  __syncthreads();
  return r;
}

// p·log p with 0·log 0 = 0 (from log p).
__device__ __forceinline__ float plogp(float log_p) {
  const float p = expf(log_p);
  return p > 0.f ? p * log_p : 0.f;
}

// True when a float4 access to every row of a [N, C] matrix at `p` is aligned.
__host__ __device__ inline bool rows_vec4(const void* p, int64_t C) {
  return C % 4 == 0 && reinterpret_cast<uintptr_t>(p) % 16 == 0;
}

}  // namespace dev

// out[j] = scale · Σ_n rows[j·N + n] / (divisor ? *divisor : 1), one block per j, summed in
// double in a fixed order: the loss is bit-identical from run to run (no atomics).
void finalize_rows(const double* rows, int J, int64_t N, double scale, const float* divisor,
                   float* out, cudaStream_t stream);

// Scratch memory from the caching allocator, ordered on `stream`, returned on scope exit
// (stream-ordered reuse makes that safe without synchronising).
class Scratch {
 public:
  Scratch(size_t nbytes, cudaStream_t stream) {
    COHORT_CUDA_CHECK(cudaGetDevice(&device_));
    ptr_ = nbytes ? caching_device_malloc(nbytes, device_, stream) : nullptr;
  }
  ~Scratch() {
    if (ptr_) caching_device_free(ptr_, device_);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  template <typename T>
  T* as() const { return static_cast<T*>(ptr_); }

 private:
  int device_ = 0;
  void* ptr_ = nullptr;
};

// Launch shape helper: ceil(a / b) as an unsigned grid dimension.
inline unsigned ceil_div(int64_t a, int64_t b) { return static_cast<unsigned>((a + b - 1) / b); }

}  // namespace cohort::cuda::lab
