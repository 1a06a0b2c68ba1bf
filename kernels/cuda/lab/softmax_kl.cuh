// Shared by the softmax-KL versions: the parameter block, the device helpers every version
// uses, the per-version launchers and the frame they run in. softmax_kl_shipped.cu has v1 (the
// version the product ships) and the frame; softmax_kl.cu (cohort_lab) has v0, v2, v3 and the
// versioned entry point. The family's notes (formulas, bytes, versions): softmax_kl.cu.
#pragma once

#include "kernels/common/softmax_math.h"
#include "kernels/cuda/lab/lab_common.cuh"
#include "kernels/cuda/lab/shipped.h"

namespace cohort::cuda::lab::detail {

struct KlParams {
  const float* s;          // [N, C]
  const float* t;          // [N, C]
  int64_t N;
  int C;
  float inv_t;             // 1/T
  bool probs;              // t holds probabilities
  double* rows;            // [N] KL_n, or nullptr (no loss wanted)
  float* grad;             // [N, C] or nullptr
  const float* grad_loss;  // [1] or nullptr (= 1)
  float grad_scale;        // T/N
  __device__ float g() const { return grad_scale * (grad_loss ? *grad_loss : 1.f); }
};

// One element's KL contribution p_t (log p_t − log p_s) and gradient factor p_s − p_t, from the
// scaled student logit x, the teacher value (scaled logit y, or probability) and the row's lse.
__device__ __forceinline__ float kl_elem(float x, float tv, bool probs, float lse_s, float lse_t,
                                         float* dp) {
  const float lps = x - lse_s;
  const float lpt = probs ? logf(tv) : tv - lse_t;
  const float pt = probs ? tv : expf(lpt);
  *dp = expf(lps) - pt;
  return math::kl_term(pt, lpt, lps);
}

// One version's launch: queues that version's kernels for p on `stream`.
using KlLaunch = void (*)(const KlParams& p, cudaStream_t stream);
void launch_kl_v0(const KlParams& p, cudaStream_t stream);  // softmax_kl.cu
void launch_kl_v1(const KlParams& p, cudaStream_t stream);  // softmax_kl_shipped.cu
void launch_kl_v2(const KlParams& p, cudaStream_t stream);  // softmax_kl.cu
void launch_kl_v3(const KlParams& p, cudaStream_t stream);  // softmax_kl.cu

// The argument checks of lab::softmax_kl (ValueError naming the function and the values).
void check_softmax_kl(int64_t N, int64_t C, float temperature);
// The frame every version runs in: the checks, the per-row scratch, the parameter block, the
// version's launch, the deterministic finalisation of the loss.
void run_softmax_kl(KlLaunch launch, const float* s, const float* t, int64_t N, int64_t C,
                    float temperature, bool teacher_is_probs, float* loss, float* grad_s,
                    const float* grad_loss, cudaStream_t stream);

}  // namespace cohort::cuda::lab::detail
