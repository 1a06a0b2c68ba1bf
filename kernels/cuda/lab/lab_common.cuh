// Device helpers shared by the lab kernels (kernels/cuda/lab/*.cu): the online-softmax state and
// its reductions (the plain ones are kernels/cuda/block_reduce.cuh), vector loads, the v2
// register-layout ladder, the deterministic per-row finaliser, and the scratch buffer every lab
// launcher takes its per-row partial results from. CUDA translation units only.
#pragma once

#include <cuda_runtime.h>

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "kernels/cuda/allocator.h"
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/check.h"

namespace cohort::cuda::lab {

namespace dev {

// The warp and block reductions (group_sum, block_max, ...) are the shared ones.
using namespace cohort::cuda::dev;

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

__device__ __forceinline__ Online shfl_xor(const Online& v, int o, int W) {
  Online other;
  other.m = __shfl_xor_sync(kFullMask, v.m, o, W);
  other.s = __shfl_xor_sync(kFullMask, v.s, o, W);
  other.aux = __shfl_xor_sync(kFullMask, v.aux, o, W);
  return other;
}
struct Merge {
  __device__ __forceinline__ Online operator()(Online a, const Online& b) const {
    a.merge(b);
    return a;
  }
};
template <int W = 32>
__device__ __forceinline__ Online group_merge(Online v) { return group_reduce<W>(v, Merge{}); }
template <int kThreads>
__device__ __forceinline__ Online block_merge(Online v) { return block_reduce<kThreads>(v, Merge{}, Online{}); }

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

// The register layout of every v2 ("row in registers") kernel, one ladder for all families:
// G lanes per row (8- or 16-lane groups for C <= 32, else a whole warp), V floats per load
// (4 = float4 when every row is 16-byte aligned, `vec4`), IT loads per lane — the smallest layout
// with G·V·IT >= C, so the register arrays hold a row with the least padding. C <= 1024.
// Calls launch.template operator()<G, V, IT>(), e.g. with a [&]<int G, int V, int IT>() lambda
// that launches the family's kernel<G, V, IT>.
template <typename Launch>
void with_v2_layout(int64_t C, bool vec4, Launch&& launch) {
  if (C <= 8) return launch.template operator()<8, 1, 1>();
  if (C <= 16) return launch.template operator()<16, 1, 1>();
  if (C <= 32) return launch.template operator()<32, 1, 1>();
  if (vec4) {
    if (C <= 128) return launch.template operator()<32, 4, 1>();
    if (C <= 256) return launch.template operator()<32, 4, 2>();
    if (C <= 512) return launch.template operator()<32, 4, 4>();
    return launch.template operator()<32, 4, 8>();
  }
  if (C <= 128) return launch.template operator()<32, 1, 4>();
  if (C <= 256) return launch.template operator()<32, 1, 8>();
  if (C <= 512) return launch.template operator()<32, 1, 16>();
  return launch.template operator()<32, 1, 32>();
}

}  // namespace cohort::cuda::lab
