// Block-per-row CUDA versions of the distillation losses (contracts: kernels/losses.h).
//
// One 128-thread block per row: block reductions (block_reduce.cuh, in double) give the row's
// max and Σexp, then each loss's per-row term; a second one-block kernel sums the rows in a fixed
// order (deterministic). They mirror the CPU reference formula by formula and are the correctness
// baseline of the optimised lab kernels (kernels/cuda/lab/, docs/kernels.md). Bytes per call:
// forward reads the logits about twice (max pass, sum pass) and writes N+1 values; backward
// reads them twice and writes N·C gradients.
#include <cmath>

#include "kernels/common/softmax_math.h"
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/check.h"
#include "kernels/cuda/losses_kernels.cuh"

namespace cohort::cuda::kern {

namespace {

constexpr int kThreads = 128;

// Sum (or max) of one double per thread over the block; every thread gets the result.
template <bool kMax>
__device__ double block_reduce(double v) {
  if constexpr (kMax) return dev::block_max<kThreads>(v);
  else return dev::block_sum<kThreads>(v);
}

// log-sum-exp of row[0..C) * inv_t.
template <typename T>
__device__ double row_lse(const T* row, int64_t C, double inv_t) {
  double m = -INFINITY;
  for (int64_t c = threadIdx.x; c < C; c += kThreads) m = fmax(m, static_cast<double>(row[c]) * inv_t);
  m = block_reduce<true>(m);
  double s = 0.0;
  for (int64_t c = threadIdx.x; c < C; c += kThreads) s += exp(static_cast<double>(row[c]) * inv_t - m);
  return m + log(block_reduce<false>(s));
}

using math::kl_term;

// out[j] = scale_j · Σ_n in[j*N + n] (one block per output j, fixed summation order).
template <typename T>
__global__ void sum_rows_kernel(const double* in, int64_t N, double scale, double divide_by_count,
                                const double* counts, T* out, T* count_out) {
  double s = 0.0;
  for (int64_t n = threadIdx.x; n < N; n += kThreads) s += in[blockIdx.x * N + n];
  s = block_reduce<false>(s);
  double c = 0.0;
  if (counts) {
    for (int64_t n = threadIdx.x; n < N; n += kThreads) c += counts[n];
    c = block_reduce<false>(c);
  }
  if (threadIdx.x == 0) {
    out[blockIdx.x] = static_cast<T>(counts ? s / c : s * scale / divide_by_count);
    if (count_out) *count_out = static_cast<T>(c);
  }
}

template <typename T>
__global__ void ce_forward_kernel(const T* z, const int64_t* y, int64_t C, double eps, int64_t ignore,
                                  T* row_lse_out, double* row_loss, double* row_valid, int* bad) {
  const int64_t n = blockIdx.x;
  const T* row = z + n * C;
  const double lse = row_lse(row, C, 1.0);
  double sum_z = 0.0;
  if (eps > 0.0) {
    for (int64_t c = threadIdx.x; c < C; c += kThreads) sum_z += static_cast<double>(row[c]);
    sum_z = block_reduce<false>(sum_z);
  }
  if (threadIdx.x != 0) return;
  row_lse_out[n] = static_cast<T>(lse);
  const int64_t label = y[n];
  row_loss[n] = 0.0;
  row_valid[n] = 0.0;
  if (label == ignore) return;
  if (label < 0 || label >= C) {
    atomicExch(bad, 1);
    return;
  }
  double nll = lse - static_cast<double>(row[label]);
  if (eps > 0.0) nll = (1.0 - eps) * nll + eps * (lse - sum_z / static_cast<double>(C));
  row_loss[n] = nll;
  row_valid[n] = 1.0;
}

template <typename T>
__global__ void ce_backward_kernel(const T* z, const int64_t* y, const T* lse, const T* valid,
                                   const T* grad_loss, int64_t C, double eps, int64_t ignore, T* g) {
  const int64_t n = blockIdx.x;
  const int64_t label = y[n];
  const double scale = static_cast<double>(*grad_loss) / static_cast<double>(*valid);
  for (int64_t c = threadIdx.x; c < C; c += kThreads) {
    if (label == ignore) {
      g[n * C + c] = T(0);
      continue;
    }
    double p = exp(static_cast<double>(z[n * C + c]) - static_cast<double>(lse[n]));
    double target = (c == label ? 1.0 - eps : 0.0) + eps / static_cast<double>(C);
    g[n * C + c] = static_cast<T>(scale * (p - target));
  }
}

// log p of a teacher element: from logits (with its row's lse) or from probabilities.
template <typename T>
__device__ double teacher_log_p(const T* t, int64_t i, bool probs, double inv_t, double lse_t) {
  return probs ? log(static_cast<double>(t[i])) : static_cast<double>(t[i]) * inv_t - lse_t;
}

template <typename T>
__global__ void kd_forward_kernel(const T* s, const T* t, int64_t C, double inv_t, bool probs, double* row_kl) {
  const int64_t n = blockIdx.x;
  const double lse_s = row_lse(s + n * C, C, inv_t);
  const double lse_t = probs ? 0.0 : row_lse(t + n * C, C, inv_t);
  double kl = 0.0;
  for (int64_t c = threadIdx.x; c < C; c += kThreads)
    kl += kl_term(teacher_log_p(t, n * C + c, probs, inv_t, lse_t), static_cast<double>(s[n * C + c]) * inv_t - lse_s);
  kl = block_reduce<false>(kl);
  if (threadIdx.x == 0) row_kl[n] = kl;
}

template <typename T>
__global__ void kd_backward_kernel(const T* s, const T* t, int64_t N, int64_t C, double temp, bool probs,
                                   const T* grad_loss, T* gs, T* gt) {
  const int64_t n = blockIdx.x;
  const double inv_t = 1.0 / temp, g = static_cast<double>(*grad_loss);
  const double lse_s = row_lse(s + n * C, C, inv_t);
  const double lse_t = probs ? 0.0 : row_lse(t + n * C, C, inv_t);
  double kl = 0.0;
  if (gt && !probs) {
    for (int64_t c = threadIdx.x; c < C; c += kThreads)
      kl += kl_term(teacher_log_p(t, n * C + c, probs, inv_t, lse_t), static_cast<double>(s[n * C + c]) * inv_t - lse_s);
    kl = block_reduce<false>(kl);
  }
  const double scale_s = g * temp / static_cast<double>(N);
  for (int64_t c = threadIdx.x; c < C; c += kThreads) {
    const int64_t i = n * C + c;
    const double log_ps = static_cast<double>(s[i]) * inv_t - lse_s;
    const double log_pt = teacher_log_p(t, i, probs, inv_t, lse_t);
    gs[i] = static_cast<T>(scale_s * (exp(log_ps) - exp(log_pt)));
    if (!gt) continue;
    gt[i] = probs ? static_cast<T>(g * temp * temp / static_cast<double>(N) * (log_pt - log_ps + 1.0))
                  : static_cast<T>(scale_s * exp(log_pt) * (log_pt - log_ps - kl));
  }
}

// mode: 0 average, 1 sum, 2 ensemble (DmlMode's order).
template <typename T>
__global__ void dml_forward_kernel(CohortPtrs<T> p, int K, int64_t N, int64_t C, double inv_t, int mode,
                                   double* row_terms) {
  const int64_t n = blockIdx.x;
  double lse[kMaxCohort];
  for (int l = 0; l < K; ++l) lse[l] = row_lse(p.z[l] + n * C, C, inv_t);
  double acc[kMaxCohort] = {};
  for (int64_t c = threadIdx.x; c < C; c += kThreads) {
    double logp[kMaxCohort];
    for (int l = 0; l < K; ++l) logp[l] = static_cast<double>(p.z[l][n * C + c]) * inv_t - lse[l];
    for (int k = 0; k < K; ++k) {
      if (mode == 2) {
        double q = 0.0;
        for (int l = 0; l < K; ++l)
          if (l != k) q += exp(logp[l]);
        q /= static_cast<double>(K - 1);
        if (q > 0.0) acc[k] += q * (log(q) - logp[k]);
      } else {
        for (int l = 0; l < K; ++l)
          if (l != k) acc[k] += kl_term(logp[l], logp[k]);
      }
    }
  }
  for (int k = 0; k < K; ++k) {
    double r = block_reduce<false>(acc[k]);
    if (threadIdx.x == 0) row_terms[k * N + n] = r;
  }
}

template <typename T>
__global__ void dml_backward_kernel(CohortPtrs<T> p, int K, int64_t N, int64_t C, double temp, int mode,
                                    const T* grad_losses) {
  const int64_t n = blockIdx.x;
  const double inv_t = 1.0 / temp;
  double lse[kMaxCohort];
  for (int l = 0; l < K; ++l) lse[l] = row_lse(p.z[l] + n * C, C, inv_t);
  for (int64_t c = threadIdx.x; c < C; c += kThreads) {
    double prob[kMaxCohort];
    for (int l = 0; l < K; ++l) prob[l] = exp(static_cast<double>(p.z[l][n * C + c]) * inv_t - lse[l]);
    for (int k = 0; k < K; ++k) {
      if (!p.g[k]) continue;
      double q = 0.0;
      for (int l = 0; l < K; ++l)
        if (l != k) q += prob[l];
      q /= static_cast<double>(K - 1);
      double scale = static_cast<double>(grad_losses[k]) * temp / static_cast<double>(N);
      if (mode == 1) scale *= static_cast<double>(K - 1);
      p.g[k][n * C + c] = static_cast<T>(scale * (prob[k] - q));
    }
  }
}

}  // namespace

template <typename T>
void cross_entropy_forward(const T* z, const int64_t* y, int64_t N, int64_t C, double eps,
                           int64_t ignore_index, T* row_lse_out, double* row_loss, double* row_valid,
                           T* loss, T* valid, int* bad_label, cudaStream_t s) {
  ce_forward_kernel<T><<<static_cast<unsigned>(N), kThreads, 0, s>>>(z, y, C, eps, ignore_index, row_lse_out,
                                                                     row_loss, row_valid, bad_label);
  COHORT_LAUNCH_CHECK();
  sum_rows_kernel<T><<<1, kThreads, 0, s>>>(row_loss, N, 1.0, 1.0, row_valid, loss, valid);
  COHORT_LAUNCH_CHECK();
}

template <typename T>
void cross_entropy_backward(const T* z, const int64_t* y, const T* row_lse_in, const T* valid,
                            const T* grad_loss, int64_t N, int64_t C, double eps, int64_t ignore_index,
                            T* grad, cudaStream_t s) {
  ce_backward_kernel<T><<<static_cast<unsigned>(N), kThreads, 0, s>>>(z, y, row_lse_in, valid, grad_loss, C,
                                                                      eps, ignore_index, grad);
  COHORT_LAUNCH_CHECK();
}

template <typename T>
void kd_kl_forward(const T* s, const T* t, int64_t N, int64_t C, double temp, bool probs, double* row_kl,
                   T* loss, cudaStream_t st) {
  kd_forward_kernel<T><<<static_cast<unsigned>(N), kThreads, 0, st>>>(s, t, C, 1.0 / temp, probs, row_kl);
  COHORT_LAUNCH_CHECK();
  sum_rows_kernel<T><<<1, kThreads, 0, st>>>(row_kl, N, temp * temp, static_cast<double>(N), nullptr, loss, nullptr);
  COHORT_LAUNCH_CHECK();
}

template <typename T>
void kd_kl_backward(const T* s, const T* t, int64_t N, int64_t C, double temp, bool probs, const T* grad_loss,
                    T* grad_s, T* grad_t, cudaStream_t st) {
  kd_backward_kernel<T><<<static_cast<unsigned>(N), kThreads, 0, st>>>(s, t, N, C, temp, probs, grad_loss,
                                                                       grad_s, grad_t);
  COHORT_LAUNCH_CHECK();
}

template <typename T>
void dml_forward(const CohortPtrs<T>& p, int K, int64_t N, int64_t C, double temp, int mode,
                 double* row_terms, T* losses, cudaStream_t st) {
  dml_forward_kernel<T><<<static_cast<unsigned>(N), kThreads, 0, st>>>(p, K, N, C, 1.0 / temp, mode, row_terms);
  COHORT_LAUNCH_CHECK();
  const double divide = static_cast<double>(N) * (mode == 0 ? static_cast<double>(K - 1) : 1.0);
  sum_rows_kernel<T><<<static_cast<unsigned>(K), kThreads, 0, st>>>(row_terms, N, temp * temp, divide, nullptr,
                                                                    losses, nullptr);
  COHORT_LAUNCH_CHECK();
}

template <typename T>
void dml_backward(const CohortPtrs<T>& p, int K, int64_t N, int64_t C, double temp, int mode,
                  const T* grad_losses, cudaStream_t st) {
  dml_backward_kernel<T><<<static_cast<unsigned>(N), kThreads, 0, st>>>(p, K, N, C, temp, mode, grad_losses);
  COHORT_LAUNCH_CHECK();
}

#define COHORT_INSTANTIATE_LOSSES(T)                                                                      \
  template void cross_entropy_forward<T>(const T*, const int64_t*, int64_t, int64_t, double, int64_t, T*,  \
                                         double*, double*, T*, T*, int*, cudaStream_t);                    \
  template void cross_entropy_backward<T>(const T*, const int64_t*, const T*, const T*, const T*, int64_t, \
                                          int64_t, double, int64_t, T*, cudaStream_t);                     \
  template void kd_kl_forward<T>(const T*, const T*, int64_t, int64_t, double, bool, double*, T*,          \
                                 cudaStream_t);                                                            \
  template void kd_kl_backward<T>(const T*, const T*, int64_t, int64_t, double, bool, const T*, T*, T*,    \
                                  cudaStream_t);                                                           \
  template void dml_forward<T>(const CohortPtrs<T>&, int, int64_t, int64_t, double, int, double*, T*,      \
                               cudaStream_t);                                                              \
  template void dml_backward<T>(const CohortPtrs<T>&, int, int64_t, int64_t, double, int, const T*,        \
                                cudaStream_t);
COHORT_INSTANTIATE_LOSSES(float)
COHORT_INSTANTIATE_LOSSES(double)

}  // namespace cohort::cuda::kern
