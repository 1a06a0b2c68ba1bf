// The lab versions the product library ships: what the f32 distillation losses run with
// COHORT_LOSS_KERNELS=lab (core/loss_kernels.h, kernels/cuda/losses.cpp). Every other version,
// the version selection and the cuDNN/cuBLAS baselines are in the cohort_lab library
// (kernels/cuda/lab/lab.h), which tests and benchmarks link; the product never links them.
//
// The contracts are those of lab.h's softmax_kl, cross_entropy and cohort_kl with the version
// argument fixed to kBest. Changing the shipped version (docs/kernels.md, "Which version ships")
// means moving that version's kernels into the family's *_shipped.cu file and updating
// kShippedVersion; resolve_version(family, kBest, ...) follows kShippedVersion.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/common/op_enums.h"

namespace cohort::cuda::lab {

// "The shipped one" where a version number is expected (lab.h).
constexpr int kBest = -1;

// The version of the row families (softmax_kl, cross_entropy, cohort_kl) the product ships:
// v1, block per row — the plainest one that is not naive, until a GPU benchmark log shows
// another version faster.
constexpr int kShippedVersion = 1;

// Optional cross-entropy fusion: losses[k] = CE_k + weight · M_k and grads[k] its gradient, with
// CE_k the mean (over all N rows, no ignore_index) label-smoothed cross-entropy of z_k at T = 1.
// A label outside [0, C) sets *bad_label (when given) and that row's CE term is 0.
struct CohortCe {
  const int64_t* labels = nullptr;  // i64 [N]
  float mimicry_weight = 1.f;       // λ
  float label_smoothing = 0.f;      // ε
  int* bad_label = nullptr;         // device int [1] or nullptr
};

void softmax_kl_shipped(const float* s, const float* t, int64_t N, int64_t C, float temperature,
                        bool teacher_is_probs, float* loss, float* grad_s, const float* grad_loss,
                        cudaStream_t stream);
void cross_entropy_shipped(const float* z, const int64_t* y, int64_t N, int64_t C,
                           float label_smoothing, int64_t ignore_index, float* loss, float* row_lse,
                           float* valid, float* grad, const float* grad_loss, int* bad_label,
                           cudaStream_t stream);
void cohort_kl_shipped(const float* const* logits, int K, int64_t N, int64_t C, float temperature,
                       DmlMode mode, float* losses, float* const* grads, const float* grad_losses,
                       const CohortCe* ce, cudaStream_t stream);

}  // namespace cohort::cuda::lab
