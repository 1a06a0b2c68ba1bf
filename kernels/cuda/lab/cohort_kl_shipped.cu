// cohort (DML) mimicry: the version the product library ships (v1, see shipped.h) and the frame every
// version runs in. The family's notes (formulas, bytes per call, every version): cohort_kl.cu.
#include "core/error.h"
#include "kernels/cuda/lab/cohort_kl.cuh"

namespace cohort::cuda::lab {

namespace detail {

namespace {

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

}  // namespace

void launch_cohort_v1(const CohortParams& p, cudaStream_t stream) {
  cohort_v1<<<static_cast<unsigned>(p.N), kV1Threads, 0, stream>>>(p);
}

void check_cohort_kl(int K, int64_t N, int64_t C, float temperature, const CohortCe* ce) {
  COHORT_CHECK(K >= 2 && K <= kMaxCohort, "lab::cohort_kl: K must be in [2, {}], got {}", kMaxCohort, K);
  COHORT_CHECK(N > 0 && C > 0 && C <= (1 << 30) && temperature > 0.f,
               "lab::cohort_kl: needs N > 0, 0 < C <= 2^30, T > 0; got N={} C={} T={}", N, C, temperature);
  COHORT_CHECK(!ce || ce->labels, "lab::cohort_kl: CE fusion needs labels");
}

void run_cohort_kl(CohortLaunch launch, const float* const* logits, int K, int64_t N, int64_t C,
                   float temperature, DmlMode mode, float* losses, float* const* grads,
                   const float* grad_losses, const CohortCe* ce, cudaStream_t stream) {
  check_cohort_kl(K, N, C, temperature, ce);
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
  launch(p, stream);
  COHORT_LAUNCH_CHECK();
  if (losses) finalize_rows(rows.as<double>(), K, N, 1.0, nullptr, losses, stream);
}

}  // namespace detail

static_assert(kShippedVersion == 1, "cohort_kl_shipped calls v1: move the shipped version's kernels here");

void cohort_kl_shipped(const float* const* logits, int K, int64_t N, int64_t C, float temperature,
                       DmlMode mode, float* losses, float* const* grads, const float* grad_losses,
                       const CohortCe* ce, cudaStream_t stream) {
  detail::run_cohort_kl(detail::launch_cohort_v1, logits, K, N, C, temperature, mode, losses, grads,
                        grad_losses, ce, stream);
}

}  // namespace cohort::cuda::lab
