// Shared by the cross-entropy versions: the parameter block, the device helpers every version
// uses, the per-version launchers and the frame they run in. cross_entropy_shipped.cu has v1 (the
// version the product ships) and the frame; cross_entropy.cu (cohort_lab) has v0, v2, v3 and the
// versioned entry point. The family's notes (formulas, bytes, versions): cross_entropy.cu.
#pragma once

#include "kernels/common/softmax_math.h"
#include "kernels/cuda/lab/lab_common.cuh"
#include "kernels/cuda/lab/shipped.h"

namespace cohort::cuda::lab::detail {

struct CeParams {
  const float* z;          // [N, C]
  const int64_t* y;        // [N]
  int64_t N;
  int C;
  float eps;               // label smoothing
  int64_t ignore;          // ignore_index
  double* rows;            // [N] row losses (0 for rows not counted), or nullptr
  float* row_lse;          // [N] or nullptr
  float* grad;             // [N, C] or nullptr
  const float* grad_loss;  // [1] or nullptr (= 1)
  const float* count;      // [1] number of counted rows (written by count_rows)
  __device__ bool counted(int64_t label) const { return label != ignore && label >= 0 && label < C; }
  __device__ float g() const { return (grad_loss ? *grad_loss : 1.f) / *count; }
  // The row's loss from its lse, Σ_c z_c (used only when ε > 0) and label. At ε = 0 the
  // smoothing term is skipped, not multiplied by 0: one −inf (masked) logit makes Σz −inf and
  // 0·(−inf) would turn the loss into NaN, where the CPU reference gives a finite loss.
  __device__ float row_loss(int64_t n, int64_t label, float lse, float sum_z) const {
    const float nll = lse - (1.f - eps) * z[n * C + label];
    return eps > 0.f ? nll - eps * sum_z / static_cast<float>(C) : nll;
  }
  // d ℓ_n / d z_c before the g/valid factor.
  __device__ float dz(float zc, int c, int64_t label, float lse) const {
    return expf(zc - lse) - (c == label ? 1.f - eps : 0.f) - eps / static_cast<float>(C);
  }
};

// One version's launch: queues that version's kernels for p on `stream`.
using CeLaunch = void (*)(const CeParams& p, cudaStream_t stream);
void launch_ce_v0(const CeParams& p, cudaStream_t stream);  // cross_entropy.cu
void launch_ce_v1(const CeParams& p, cudaStream_t stream);  // cross_entropy_shipped.cu
void launch_ce_v2(const CeParams& p, cudaStream_t stream);  // cross_entropy.cu
void launch_ce_v3(const CeParams& p, cudaStream_t stream);  // cross_entropy.cu

// The argument checks of lab::cross_entropy (ValueError naming the function and the values).
void check_cross_entropy(int64_t N, int64_t C, float label_smoothing);
// The frame every version runs in: the checks, the per-row scratch, the parameter block, the
// version's launch, the deterministic finalisation of the loss.
void run_cross_entropy(CeLaunch launch, const float* z, const int64_t* y, int64_t N, int64_t C,
                       float label_smoothing, int64_t ignore_index, float* loss, float* row_lse,
                       float* valid, float* grad, const float* grad_loss, int* bad_label,
                       cudaStream_t stream);

}  // namespace cohort::cuda::lab::detail
