// Raw-pointer launchers of the block-per-row loss kernels (losses.cu), called by losses.cpp.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/common/op_enums.h"

namespace cohort::cuda::kern {

template <typename T>
struct CohortPtrs {
  const T* z[kMaxCohort];
  T* g[kMaxCohort];
};

// row_loss[n] (0 for ignored rows), row_valid[n] in {0,1}, row_lse[n]; *bad_label set to 1 on an
// out-of-range label. Then loss[0] = Σ row_loss / Σ row_valid, valid[0] = Σ row_valid.
template <typename T>
void cross_entropy_forward(const T* z, const int64_t* y, int64_t N, int64_t C, double eps,
                           int64_t ignore_index, T* row_lse, double* row_loss, double* row_valid,
                           T* loss, T* valid, int* bad_label, cudaStream_t s);
template <typename T>
void cross_entropy_backward(const T* z, const int64_t* y, const T* row_lse, const T* valid,
                            const T* grad_loss, int64_t N, int64_t C, double eps,
                            int64_t ignore_index, T* grad, cudaStream_t s);
// row_kl[n] = Σ_c p_t log(p_t/p_s); loss[0] = T²/N Σ row_kl.
template <typename T>
void kd_kl_forward(const T* s, const T* t, int64_t N, int64_t C, double temp, bool probs,
                   double* row_kl, T* loss, cudaStream_t st);
template <typename T>
void kd_kl_backward(const T* s, const T* t, int64_t N, int64_t C, double temp, bool probs,
                    const T* grad_loss, T* grad_s, T* grad_t, cudaStream_t st);
// row_terms[k*N + n]: student k's per-row term; losses[k] = scale · Σ_n row_terms[k*N+n].
template <typename T>
void dml_forward(const CohortPtrs<T>& p, int K, int64_t N, int64_t C, double temp, int mode,
                 double* row_terms, T* losses, cudaStream_t st);
template <typename T>
void dml_backward(const CohortPtrs<T>& p, int K, int64_t N, int64_t C, double temp, int mode,
                  const T* grad_losses, cudaStream_t st);

}  // namespace cohort::cuda::kern
