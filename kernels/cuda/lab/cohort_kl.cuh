// Shared by the cohort (DML) mimicry versions: the parameter block, the device helpers every version
// uses, the per-version launchers and the frame they run in. cohort_kl_shipped.cu has v1 (the
// version the product ships) and the frame; cohort_kl.cu (cohort_lab) has v0, v2, v3 and the
// versioned entry point. The family's notes (formulas, bytes, versions): cohort_kl.cu.
#pragma once

#include "kernels/common/softmax_math.h"
#include "kernels/cuda/lab/lab_common.cuh"
#include "kernels/cuda/lab/shipped.h"

namespace cohort::cuda::lab::detail {

struct CohortParams {
  const float* z[kMaxCohort];  // K × [N, C]
  float* g[kMaxCohort];        // K × [N, C] (entries may be nullptr)
  int K;
  int64_t N;
  int C;
  float inv_t;
  DmlMode mode;
  double* rows;                // [K, N] row losses, already scaled; or nullptr
  const float* grad_losses;    // [K] or nullptr (= 1)
  float mim_loss_scale;        // λ·T²/N (÷(K−1) average)
  float mim_grad_scale;        // λ·T/N (×(K−1) sum)
  const int64_t* labels;       // CE fusion, or nullptr
  float eps;
  int* bad;
  bool any_grad;
  __device__ bool ce() const { return labels != nullptr; }
  __device__ float gk(int k) const { return grad_losses ? grad_losses[k] : 1.f; }
};

// Row statistics of one student: raw max m, Σ e^{(z−m)/T} and (CE) Σ e^{z−m}; online-mergeable.
struct Stats {
  float m = -INFINITY, st = 0.f, s1 = 0.f;
  __device__ __forceinline__ void add(float z, float a, bool ce) {
    if (z == -INFINITY) return;
    if (z > m) {
      const float d = m - z;  // −inf for the first element: the empty sums vanish
      st = st * expf(a * d) + 1.f;
      if (ce) s1 = s1 * expf(d) + 1.f;
      m = z;
    } else {
      st += expf(a * (z - m));
      if (ce) s1 += expf(z - m);
    }
  }
  __device__ __forceinline__ void merge(const Stats& o, float a) {
    const float mm = fmaxf(m, o.m);
    if (mm == -INFINITY) return;
    st = st * expf(a * (m - mm)) + o.st * expf(a * (o.m - mm));
    s1 = s1 * expf(m - mm) + o.s1 * expf(o.m - mm);
    m = mm;
  }
};

__device__ __forceinline__ Stats shfl_xor(const Stats& v, int o, int W) {
  Stats x;
  x.m = __shfl_xor_sync(dev::kFullMask, v.m, o, W);
  x.st = __shfl_xor_sync(dev::kFullMask, v.st, o, W);
  x.s1 = __shfl_xor_sync(dev::kFullMask, v.s1, o, W);
  return x;
}
struct MergeStats {
  float a;  // 1/T
  __device__ __forceinline__ Stats operator()(Stats v, const Stats& o) const {
    v.merge(o, a);
    return v;
  }
};
template <int W>
__device__ __forceinline__ Stats group_merge(Stats v, float a) { return dev::group_reduce<W>(v, MergeStats{a}); }
template <int kThreads>
__device__ __forceinline__ Stats block_merge(Stats v, float a) {
  return dev::block_reduce<kThreads>(v, MergeStats{a}, Stats{});
}

// One class c of one row for every student: adds each student's mimicry term to term[k] and
// writes d[k] = dL_k/dz_k,c before the g_k factor. KMAX bounds the unrolled loops (registers
// need compile-time indices); K <= KMAX is the runtime count. lse/lse1 are the row's at T and 1.
template <int KMAX>
__device__ __forceinline__ void cohort_elem(const CohortParams& p, int K, const float (&z)[KMAX], int c,
                                            int64_t label, const float (&lse)[KMAX], const float (&lse1)[KMAX],
                                            float (&term)[KMAX], float (&d)[KMAX]) {
  float lp[KMAX], pr[KMAX];
#pragma unroll
  for (int k = 0; k < KMAX; ++k)
    if (k < K) lp[k] = z[k] * p.inv_t - lse[k], pr[k] = expf(lp[k]);
  const float peers = static_cast<float>(K - 1);
#pragma unroll
  for (int k = 0; k < KMAX; ++k) {
    if (k >= K) continue;
    float q = 0.f;
#pragma unroll
    for (int l = 0; l < KMAX; ++l)
      if (l < K && l != k) {
        q += pr[l];
        if (p.mode != DmlMode::ensemble) term[k] += math::kl_term(pr[l], lp[l], lp[k]);
      }
    q /= peers;
    if (p.mode == DmlMode::ensemble) term[k] += math::kl_term(q, logf(q), lp[k]);
    d[k] = p.mim_grad_scale * (pr[k] - q);
    if (p.ce() && label >= 0) {
      const float target = (c == label ? 1.f - p.eps : 0.f) + p.eps / static_cast<float>(p.C);
      d[k] += (expf(z[k] - lse1[k]) - target) / static_cast<float>(p.N);
    }
  }
}

// The row's losses from the accumulated terms (and CE from lse1, z_y, Σz), written scaled.
template <int KMAX>
__device__ __forceinline__ void write_row(const CohortParams& p, int K, int64_t n, int64_t label,
                                          const float (&term)[KMAX], const float (&lse1)[KMAX],
                                          const float (&sum_z)[KMAX]) {
#pragma unroll
  for (int k = 0; k < KMAX; ++k) {
    if (k >= K) continue;
    double r = static_cast<double>(p.mim_loss_scale) * term[k];
    if (p.ce() && label >= 0) {
      // The smoothing term only when ε > 0: Σz is −inf with a masked logit and 0·(−inf) is NaN.
      float ce = lse1[k] - (1.f - p.eps) * p.z[k][n * p.C + label];
      if (p.eps > 0.f) ce -= p.eps * sum_z[k] / static_cast<float>(p.C);
      r += ce / static_cast<double>(p.N);
    }
    p.rows[k * p.N + n] = r;
  }
}

// The row's label for CE (−1 when there is no CE or it is out of range, which raises the flag).
__device__ __forceinline__ int64_t row_label(const CohortParams& p, int64_t n) {
  if (!p.ce()) return -1;
  const int64_t y = p.labels[n];
  if (y >= 0 && y < p.C) return y;
  if (p.bad) atomicExch(p.bad, 1);
  return -1;
}

// One version's launch: queues that version's kernels for p on `stream`.
using CohortLaunch = void (*)(const CohortParams& p, cudaStream_t stream);
void launch_cohort_v0(const CohortParams& p, cudaStream_t stream);  // cohort_kl.cu
void launch_cohort_v1(const CohortParams& p, cudaStream_t stream);  // cohort_kl_shipped.cu
void launch_cohort_v2(const CohortParams& p, cudaStream_t stream);  // cohort_kl.cu
void launch_cohort_v3(const CohortParams& p, cudaStream_t stream);  // cohort_kl.cu

// The argument checks of lab::cohort_kl (ValueError naming the function and the values).
void check_cohort_kl(int K, int64_t N, int64_t C, float temperature, const CohortCe* ce);
// The frame every version runs in: the checks, the per-row scratch, the parameter block, the
// version's launch, the deterministic finalisation of the loss.
void run_cohort_kl(CohortLaunch launch, const float* const* logits, int K, int64_t N, int64_t C,
                   float temperature, DmlMode mode, float* losses, float* const* grads,
                   const float* grad_losses, const CohortCe* ce, cudaStream_t stream);

}  // namespace cohort::cuda::lab::detail
