// Cohort (DML) mimicry lab kernels: all K students' mimicry losses and gradients in one launch,
// optionally fused with each student's cross-entropy. Contract: kernels/cuda/lab/lab.h; CPU
// reference: cpu::dml_mimicry_forward / _backward and cpu::cross_entropy_* (kernels/cpu).
//
//   p_k = softmax(z_k/T), q_k = mean_{l≠k} p_l
//   per element: average/sum term_k = Σ_{l≠k} p_l (log p_l − log p_k); ensemble q_k (log q_k − log p_k)
//   M_k = T²/N Σ_n Σ_c term_k (÷(K−1) for average);  dM_k/dz_k = (T/N)(p_k − q_k) (×(K−1) for sum)
// The gradient holds because the peers are constants for L_k: d/dz_k of Σ_c −p_l log p_k is
// (1/T)(p_k − p_l) per peer (softmax Jacobian, Σ_c p_l = 1), times T² and 1/N.
// With CE fused, also lse1_k = log Σ exp z_k (T = 1): CE_k = mean_n(lse1 − (1−ε) z_y − ε·mean z)
// and its gradient (1/N)(softmax(z_k) − (1−ε)onehot − ε/C) is added to λ times the mimicry one.
//
// Why one launch: K(K−1) pairwise KD calls read every student's logits 2(K−1) times and
// launch K(K−1) kernels; here each logit is read once (v2) or twice (v3) whatever K is.
// Bytes per call: forward K·N·C·4 read; forward+backward also K·N·C·4 written.
// FLOPs per element: K exp + K log (ensemble) + K(K−1) FMAs — still memory-bound for K <= 8.
//
// Versions: v0 thread per row; v1 block per row, two-pass max/sum with shared-memory
// reductions; v2 warp/sub-warp per row with all K rows in registers (float4; K <= 4,
// K·C <= 2048 so the registers do not spill); v3 block per row, an online pass for every
// student's max and sums (at T and, with CE, at 1), then one pass for the terms and gradients.
//
// Files: v1 and the frame every version runs in are in cohort_kl_shipped.cu (the product library
// ships v1); the parameter block and shared device helpers in cohort_kl.cuh; this file (cohort_lab)
// has v0, v2, v3 and lab::cohort_kl, which runs any version.
#include "core/error.h"
#include "kernels/cuda/lab/lab.h"
#include "kernels/cuda/lab/cohort_kl.cuh"

namespace cohort::cuda::lab {

namespace detail {

namespace {

// ---- v0: one thread per row -------------------------------------------------------------------
__global__ void cohort_v0(CohortParams p) {
  const int64_t n = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (n >= p.N) return;
  const int K = p.K;
  float m[kMaxCohort], lse[kMaxCohort], lse1[kMaxCohort], sum_z[kMaxCohort], term[kMaxCohort] = {};
  for (int k = 0; k < K; ++k) {
    const float* z = p.z[k] + n * p.C;
    m[k] = -INFINITY, sum_z[k] = 0.f;
    for (int c = 0; c < p.C; ++c) m[k] = fmaxf(m[k], z[c]), sum_z[k] += z[c];
    float st = 0.f, s1 = 0.f;
    for (int c = 0; c < p.C; ++c) {
      st += expf((z[c] - m[k]) * p.inv_t);
      if (p.ce()) s1 += expf(z[c] - m[k]);
    }
    lse[k] = m[k] * p.inv_t + logf(st), lse1[k] = m[k] + logf(s1);
  }
  const int64_t label = row_label(p, n);
  for (int c = 0; c < p.C; ++c) {
    float z[kMaxCohort], d[kMaxCohort];
    for (int k = 0; k < K; ++k) z[k] = p.z[k][n * p.C + c];
    cohort_elem<kMaxCohort>(p, K, z, c, label, lse, lse1, term, d);
    for (int k = 0; k < K; ++k)
      if (p.g[k]) p.g[k][n * p.C + c] = p.gk(k) * d[k];
  }
  if (p.rows) write_row<kMaxCohort>(p, K, n, label, term, lse1, sum_z);
}

// ---- v2: G lanes per row, all K rows in registers --------------------------------------------
constexpr int kV2Threads = 128;

template <int KT, int G, int V, int IT>
__global__ void __launch_bounds__(kV2Threads) cohort_v2(CohortParams p) {
  constexpr int kRows = kV2Threads / G;
  constexpr int E = IT * V;  // elements per lane per student
  const int lane = threadIdx.x % G;
  const int64_t n = static_cast<int64_t>(blockIdx.x) * kRows + threadIdx.x / G;
  const bool active = n < p.N;  // inactive groups still join the shuffles
  float x[KT][E];
#pragma unroll
  for (int k = 0; k < KT; ++k)
#pragma unroll
    for (int i = 0; i < IT; ++i) {
      const int c = (i * G + lane) * V;
      if (active && c < p.C) {
        if constexpr (V == 4) {
          const float4 a = *reinterpret_cast<const float4*>(p.z[k] + n * p.C + c);
          x[k][4 * i] = a.x, x[k][4 * i + 1] = a.y, x[k][4 * i + 2] = a.z, x[k][4 * i + 3] = a.w;
        } else {
          x[k][i] = p.z[k][n * p.C + c];
        }
      } else {
#pragma unroll
        for (int v = 0; v < V; ++v) x[k][i * V + v] = -INFINITY;
      }
    }
  float lse[KT], lse1[KT], sum_z[KT], term[KT];
#pragma unroll
  for (int k = 0; k < KT; ++k) {
    float m = -INFINITY, sz = 0.f;
#pragma unroll
    for (int j = 0; j < E; ++j) m = fmaxf(m, x[k][j]), sz += x[k][j] == -INFINITY ? 0.f : x[k][j];
    m = dev::group_max<G>(m);
    float st = 0.f, s1 = 0.f;
#pragma unroll
    for (int j = 0; j < E; ++j) {
      st += expf((x[k][j] - m) * p.inv_t);
      if (p.ce()) s1 += expf(x[k][j] - m);
    }
    lse[k] = m * p.inv_t + logf(dev::group_sum<G>(st));
    lse1[k] = p.ce() ? m + logf(dev::group_sum<G>(s1)) : 0.f;
    sum_z[k] = p.ce() ? dev::group_sum<G>(sz) : 0.f;
    term[k] = 0.f;
  }
  const int64_t label = active ? row_label(p, n) : -1;
#pragma unroll
  for (int i = 0; i < IT; ++i)
#pragma unroll
    for (int v = 0; v < V; ++v) {
      const int c = (i * G + lane) * V + v;
      if (c >= p.C) continue;  // padding
      float z[KT], d[KT];
#pragma unroll
      for (int k = 0; k < KT; ++k) z[k] = x[k][i * V + v];
      cohort_elem<KT>(p, KT, z, c, label, lse, lse1, term, d);
#pragma unroll
      for (int k = 0; k < KT; ++k) x[k][i * V + v] = d[k];  // the registers now hold gradients
    }
#pragma unroll
  for (int k = 0; k < KT; ++k) term[k] = dev::group_sum<G>(term[k]);
  if (!active) return;  // no shuffles below
  if (p.rows && lane == 0) write_row<KT>(p, KT, n, label, term, lse1, sum_z);
#pragma unroll
  for (int k = 0; k < KT; ++k) {
    if (!p.g[k]) continue;
    const float gk = p.gk(k);
#pragma unroll
    for (int i = 0; i < IT; ++i) {
      const int c = (i * G + lane) * V;
      if (c >= p.C) continue;
      if constexpr (V == 4)
        *reinterpret_cast<float4*>(p.g[k] + n * p.C + c) =
            make_float4(gk * x[k][4 * i], gk * x[k][4 * i + 1], gk * x[k][4 * i + 2], gk * x[k][4 * i + 3]);
      else
        p.g[k][n * p.C + c] = gk * x[k][i];
    }
  }
}

template <int KT>
void run_v2_k(const CohortParams& p, bool vec4, cudaStream_t stream) {
  with_v2_layout(p.C, vec4, [&]<int G, int V, int IT>() {
    cohort_v2<KT, G, V, IT><<<ceil_div(p.N, kV2Threads / G), kV2Threads, 0, stream>>>(p);
  });
}

void run_v2(const CohortParams& p, cudaStream_t stream) {
  bool vec4 = true;
  for (int k = 0; k < p.K; ++k)
    vec4 = vec4 && dev::rows_vec4(p.z[k], p.C) && (!p.g[k] || dev::rows_vec4(p.g[k], p.C));
  switch (p.K) {
    case 2: return run_v2_k<2>(p, vec4, stream);
    case 3: return run_v2_k<3>(p, vec4, stream);
    default: return run_v2_k<4>(p, vec4, stream);
  }
}

// ---- v3: block per row, online statistics then one term/gradient pass ------------------------
constexpr int kV3Threads = 256;

__global__ void __launch_bounds__(kV3Threads) cohort_v3(CohortParams p) {
  const int64_t n = blockIdx.x;
  const int K = p.K;
  float lse[kMaxCohort], lse1[kMaxCohort], sum_z[kMaxCohort], term[kMaxCohort] = {};
#pragma unroll
  for (int k = 0; k < kMaxCohort; ++k) {
    if (k >= K) continue;
    const float* z = p.z[k] + n * p.C;
    Stats st;
    float sz = 0.f;
    for (int c = threadIdx.x; c < p.C; c += kV3Threads) st.add(z[c], p.inv_t, p.ce()), sz += z[c];
    st = block_merge<kV3Threads>(st, p.inv_t);
    lse[k] = st.m * p.inv_t + logf(st.st);
    lse1[k] = p.ce() ? st.m + logf(st.s1) : 0.f;
    sum_z[k] = p.ce() ? dev::block_sum<kV3Threads>(sz) : 0.f;
  }
  const int64_t label = row_label(p, n);
  for (int c = threadIdx.x; c < p.C; c += kV3Threads) {
    float z[kMaxCohort], d[kMaxCohort];
#pragma unroll
    for (int k = 0; k < kMaxCohort; ++k)
      if (k < K) z[k] = p.z[k][n * p.C + c];
    cohort_elem<kMaxCohort>(p, K, z, c, label, lse, lse1, term, d);
    if (!p.any_grad) continue;
#pragma unroll
    for (int k = 0; k < kMaxCohort; ++k)
      if (k < K && p.g[k]) p.g[k][n * p.C + c] = p.gk(k) * d[k];
  }
  if (!p.rows) return;
#pragma unroll
  for (int k = 0; k < kMaxCohort; ++k)
    if (k < K) term[k] = dev::block_sum<kV3Threads>(term[k]);
  if (threadIdx.x == 0) write_row<kMaxCohort>(p, K, n, label, term, lse1, sum_z);
}

}  // namespace

void launch_cohort_v0(const CohortParams& p, cudaStream_t stream) {
  cohort_v0<<<ceil_div(p.N, 128), 128, 0, stream>>>(p);
}
void launch_cohort_v2(const CohortParams& p, cudaStream_t stream) { run_v2(p, stream); }
void launch_cohort_v3(const CohortParams& p, cudaStream_t stream) {
  cohort_v3<<<static_cast<unsigned>(p.N), kV3Threads, 0, stream>>>(p);
}

}  // namespace detail

void cohort_kl(const float* const* logits, int K, int64_t N, int64_t C, float temperature,
               DmlMode mode, float* losses, float* const* grads, const float* grad_losses,
               const CohortCe* ce, int version, cudaStream_t stream) {
  // The argument errors come before the version's, as they did when this was one function.
  detail::check_cohort_kl(K, N, C, temperature, ce);
  constexpr detail::CohortLaunch kVersions[] = {detail::launch_cohort_v0, detail::launch_cohort_v1,
                                                detail::launch_cohort_v2, detail::launch_cohort_v3};
  detail::run_cohort_kl(kVersions[resolve_version(Family::cohort_kl, version, C, K)], logits, K, N,
                        C, temperature, mode, losses, grads, grad_losses, ce, stream);
}

}  // namespace cohort::cuda::lab
