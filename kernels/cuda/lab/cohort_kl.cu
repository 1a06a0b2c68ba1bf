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
#include "core/error.h"
#include "kernels/cuda/lab/lab.h"
#include "kernels/cuda/lab/lab_common.cuh"

namespace cohort::cuda::lab {

namespace {

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

template <int W>
__device__ __forceinline__ Stats group_merge(Stats v, float a) {
#pragma unroll
  for (int o = W / 2; o > 0; o /= 2) {
    Stats x;
    x.m = __shfl_xor_sync(dev::kFullMask, v.m, o, W);
    x.st = __shfl_xor_sync(dev::kFullMask, v.st, o, W);
    x.s1 = __shfl_xor_sync(dev::kFullMask, v.s1, o, W);
    v.merge(x, a);
  }
  return v;
}

template <int kThreads>
__device__ __forceinline__ Stats block_merge(Stats v, float a) {
  __shared__ Stats partial[kThreads / 32];
  v = group_merge<32>(v, a);
  if (threadIdx.x % 32 == 0) partial[threadIdx.x / 32] = v;
  __syncthreads();
  Stats r;
#pragma unroll
  for (int w = 0; w < kThreads / 32; ++w) r.merge(partial[w], a);
  __syncthreads();
  return r;
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
        if (p.mode != DmlMode::ensemble && pr[l] > 0.f) term[k] += pr[l] * (lp[l] - lp[k]);
      }
    q /= peers;
    if (p.mode == DmlMode::ensemble && q > 0.f) term[k] += q * (logf(q) - lp[k]);
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

// ---- v1: block per row, shared-memory reductions (max pass, sum pass, term pass) -------------
constexpr int kV1Threads = 256;

__global__ void __launch_bounds__(kV1Threads) cohort_v1(CohortParams p) {
  const int64_t n = blockIdx.x;
  const int K = p.K;
  float lse[kMaxCohort], lse1[kMaxCohort], sum_z[kMaxCohort], term[kMaxCohort] = {};
#pragma unroll
  for (int k = 0; k < kMaxCohort; ++k) {
    if (k >= K) continue;
    const float* z = p.z[k] + n * p.C;
    float m = -INFINITY, sz = 0.f;
    for (int c = threadIdx.x; c < p.C; c += kV1Threads) m = fmaxf(m, z[c]), sz += z[c];
    m = dev::block_max<kV1Threads>(m);
    sum_z[k] = p.ce() ? dev::block_sum<kV1Threads>(sz) : 0.f;
    float st = 0.f, s1 = 0.f;
    for (int c = threadIdx.x; c < p.C; c += kV1Threads) {
      st += expf((z[c] - m) * p.inv_t);
      if (p.ce()) s1 += expf(z[c] - m);
    }
    lse[k] = m * p.inv_t + logf(dev::block_sum<kV1Threads>(st));
    lse1[k] = p.ce() ? m + logf(dev::block_sum<kV1Threads>(s1)) : 0.f;
  }
  const int64_t label = row_label(p, n);
  for (int c = threadIdx.x; c < p.C; c += kV1Threads) {
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
    if (k < K) term[k] = dev::block_sum<kV1Threads>(term[k]);
  if (threadIdx.x == 0) write_row<kMaxCohort>(p, K, n, label, term, lse1, sum_z);
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

template <int KT, int G, int V, int IT>
void launch_v2(const CohortParams& p, cudaStream_t stream) {
  cohort_v2<KT, G, V, IT><<<ceil_div(p.N, kV2Threads / G), kV2Threads, 0, stream>>>(p);
}

template <int KT>
void run_v2_k(const CohortParams& p, bool vec4, cudaStream_t stream) {
  const int C = p.C;
  if (C <= 8) return launch_v2<KT, 8, 1, 1>(p, stream);
  if (C <= 16) return launch_v2<KT, 16, 1, 1>(p, stream);
  if (C <= 32) return launch_v2<KT, 32, 1, 1>(p, stream);
  if (vec4) {
    if (C <= 128) return launch_v2<KT, 32, 4, 1>(p, stream);
    if (C <= 256) return launch_v2<KT, 32, 4, 2>(p, stream);
    if (C <= 512) return launch_v2<KT, 32, 4, 4>(p, stream);
    return launch_v2<KT, 32, 4, 8>(p, stream);
  }
  // Unaligned rows: fewer layouts (each is a separate kernel to compile); rarely used.
  if (C <= 256) return launch_v2<KT, 32, 1, 8>(p, stream);
  return launch_v2<KT, 32, 1, 32>(p, stream);
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

void cohort_kl(const float* const* logits, int K, int64_t N, int64_t C, float temperature,
               DmlMode mode, float* losses, float* const* grads, const float* grad_losses,
               const CohortCe* ce, int version, cudaStream_t stream) {
  COHORT_CHECK(K >= 2 && K <= kMaxCohort, "lab::cohort_kl: K must be in [2, {}], got {}", kMaxCohort, K);
  COHORT_CHECK(N > 0 && C > 0 && C <= (1 << 30) && temperature > 0.f,
               "lab::cohort_kl: needs N > 0, 0 < C <= 2^30, T > 0; got N={} C={} T={}", N, C, temperature);
  COHORT_CHECK(!ce || ce->labels, "lab::cohort_kl: CE fusion needs labels");
  const int v = resolve_version(Family::cohort_kl, version, C, K);
  CohortParams p{};
  p.K = K, p.N = N, p.C = static_cast<int>(C), p.inv_t = 1.f / temperature, p.mode = mode;
  p.any_grad = false;
  for (int k = 0; k < K; ++k) {
    p.z[k] = logits[k];
    p.g[k] = grads ? grads[k] : nullptr;
    p.any_grad = p.any_grad || p.g[k];
  }
  if (!losses && !p.any_grad) return;
  const float lambda = ce ? ce->mimicry_weight : 1.f;
  const float peers = static_cast<float>(K - 1), fn = static_cast<float>(N);
  p.mim_loss_scale = lambda * temperature * temperature / fn / (mode == DmlMode::average ? peers : 1.f);
  p.mim_grad_scale = lambda * temperature / fn * (mode == DmlMode::sum ? peers : 1.f);
  p.grad_losses = grad_losses;
  if (ce) p.labels = ce->labels, p.eps = ce->label_smoothing, p.bad = ce->bad_label;
  Scratch rows(losses ? static_cast<size_t>(K) * static_cast<size_t>(N) * sizeof(double) : 0, stream);
  p.rows = rows.as<double>();
  switch (v) {
    case 0: cohort_v0<<<ceil_div(N, 128), 128, 0, stream>>>(p); break;
    case 1: cohort_v1<<<static_cast<unsigned>(N), kV1Threads, 0, stream>>>(p); break;
    case 2: run_v2(p, stream); break;
    default: cohort_v3<<<static_cast<unsigned>(N), kV3Threads, 0, stream>>>(p);
  }
  COHORT_LAUNCH_CHECK();
  if (losses) finalize_rows(rows.as<double>(), K, N, 1.0, nullptr, losses, stream);
}

}  // namespace cohort::cuda::lab
