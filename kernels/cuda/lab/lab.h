// The "lab" distillation kernels (llm.c dev/cuda style): every hand-written version of each
// kernel family, from naive to fast, selectable by number, plus the cuDNN/cuBLAS baselines they
// are measured against. Plain C++ (g++ compiles it): tests and benchmarks call these with raw
// device pointers. Design, derivations, bytes/FLOPs and how to benchmark: docs/kernels.md.
//
// These live in the cohort_lab library (tests and benchmarks link it); the product library
// `cohort` carries only the versions it ships (shipped.h), which the functions here reach too.
//
// Common rules of every function here
//   - f32 only. Pointers are device pointers; shapes are row-major and contiguous.
//   - Outputs are overwritten, never accumulated. Any output pointer may be nullptr = not wanted
//     (a call with loss only is the forward, with gradients only the backward, with both the
//     fused forward+backward, which reads the inputs once where the version allows).
//   - grad_loss is the upstream gradient dℓ/dL as a device scalar ([1], or [K] for the cohort),
//     nullptr meaning 1. It scales the gradients, never the loss values.
//   - version: 0..num_versions(family)−1, or kBest. A version that does not apply to a shape
//     runs the version named by resolve_version() (e.g. v2 with C > 1024 runs v3); benchmarks
//     print the resolved name so nothing is chosen silently.
//   - Everything is queued on `stream`, which must be the current stream of the current device
//     (cohort::cuda::current_stream()): scratch memory comes from the caching allocator on it.
//     Nothing synchronises. Launch errors throw cohort::BackendError.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/common/op_enums.h"
#include "kernels/cuda/lab/shipped.h"

namespace cohort::cuda::lab {

// kBest: the shipped default of each family (kernels/cuda/lab/shipped.h); resolve_version(family,
// kBest, ...) says which version it is.

enum class Family { softmax_kl, cross_entropy, cohort_kl, fsp };

// Number of hand-written versions of a family (0..n−1).
int num_versions(Family family);
// The version that actually runs for `version` (kBest or an explicit one) on this problem.
// `C` is the number of classes (FSP: ignored); `K` the number of students (cohort only).
int resolve_version(Family family, int version, int64_t C, int K = 2);
// "v2 warp-per-row registers" etc., for tables.
const char* version_name(Family family, int version);

// ---- softmax-KL (Hinton KD) -------------------------------------------------------------------
// s, t: [N, C] student and teacher logits (t may be probabilities: teacher_is_probs).
// p = softmax(·/T).  loss [1] = T²/N Σ_n Σ_c p_t log(p_t / p_s)   (0·log 0 = 0)
//                    grad_s [N, C] = g · (T/N) (p_s − p_t)
// Versions: 0 thread-per-row, 1 block-per-row (shared-memory reductions, three passes),
// 2 warp-per-row in registers (float4 loads, sub-warp rows for C <= 32; C <= 1024),
// 3 block-per-row online softmax (one pass for max+sum and the loss; a second for the gradient).
void softmax_kl(const float* s, const float* t, int64_t N, int64_t C, float temperature,
                bool teacher_is_probs, float* loss, float* grad_s, const float* grad_loss,
                int version, cudaStream_t stream);

// ---- cross-entropy (fused log-softmax + NLL) -------------------------------------------------
// z: [N, C] logits, y: i64 [N] labels. Rows with y == ignore_index, and rows with a label outside
// [0, C) (which also set *bad_label = 1, when given), count in neither the sum nor the mean.
//   loss [1]    = mean over counted rows of (1−ε)(lse − z_y) + ε (lse − mean_c z_c)
//   row_lse [N] = log Σ_c exp z_c (every row)
//   valid [1]   = number of counted rows (as float)
//   grad [N, C] = g/valid · (softmax(z) − (1−ε)·onehot(y) − ε/C) on counted rows, 0 elsewhere
// The label check is a device flag (no synchronisation); the Tensor-level op reads it and throws.
// Versions as softmax_kl (0..3). One read of the logits per pass (v2: one read for loss+grad).
void cross_entropy(const float* z, const int64_t* y, int64_t N, int64_t C, float label_smoothing,
                   int64_t ignore_index, float* loss, float* row_lse, float* valid, float* grad,
                   const float* grad_loss, int* bad_label, int version, cudaStream_t stream);

// ---- cohort mimicry (DML), K students in one launch ------------------------------------------
// Optional cross-entropy fusion: CohortCe (kernels/cuda/lab/shipped.h).


// logits: host array of K device pointers to [N, C]; grads: host array of K device pointers (an
// entry may be nullptr) or nullptr for none. p_k = softmax(z_k / T), q_k = mean_{l≠k} p_l.
//   average:  M_k = T²/(N(K−1)) Σ_n Σ_{l≠k} KL(p_l ‖ p_k)
//   sum:      M_k = T²/N        Σ_n Σ_{l≠k} KL(p_l ‖ p_k)
//   ensemble: M_k = T²/N        Σ_n KL(q_k ‖ p_k)
//   grads[k] = g_k · (T/N)(p_k − q_k), times (K−1) for sum (peers are constants).
// 2 <= K <= kMaxCohort. Versions as softmax_kl; v2 needs K <= 4 and K·C <= 2048 (else v3).
void cohort_kl(const float* const* logits, int K, int64_t N, int64_t C, float temperature,
               DmlMode mode, float* losses, float* const* grads, const float* grad_losses,
               const CohortCe* ce, int version, cudaStream_t stream);

// ---- FSP (Yim et al. 2017) -------------------------------------------------------------------
// f1: [B, m, hw], f2: [B, n, hw] (a [B, c, h, w] map with hw = h·w).
// G [B, m, n], G[b] = F1[b] · F2[b]ᵀ / hw.  Versions: 0 cublasSgemmStridedBatched,
// 1 tiled Gram kernel (split-K over hw, or one CTA per sample and tile when B·tiles fill the GPU);
// 2 has no G-only form and runs 1.
void fsp_matrix(const float* f1, const float* f2, int B, int m, int n, int64_t hw, float* G,
                int version, cudaStream_t stream);

// Student features fs1 [B,m,hw], fs2 [B,n,hw]; teacher ft1, ft2 of the same shapes.
//   loss [1] = λ/B Σ_b ‖Gs[b] − Gt[b]‖²_F
//   D = g·2λ/B (Gs − Gt);  grad_fs1 = D·Fs2/hw [B,m,hw],  grad_fs2 = Dᵀ·Fs1/hw [B,n,hw]
// Versions: 0 cuBLAS Gram products + loss kernel, 1 the tiled Gram kernel for Gs and Gt + loss
// kernel, 2 fused: each CTA accumulates Fs1·Fs2ᵀ − Ft1·Ft2ᵀ for its tile in registers and reduces
// the squared difference, never writing G (it writes D only when gradients are wanted, and
// split-K partial differences when the grid needs them). The gradient products dF = D·F are
// cuBLAS GEMMs in every version (an ordinary GEMM with a long output, not the Gram shape).
void fsp_loss(const float* fs1, const float* fs2, const float* ft1, const float* ft2, int B, int m,
              int n, int64_t hw, float lambda, float* loss, float* grad_fs1, float* grad_fs2,
              const float* grad_loss, int version, cudaStream_t stream);

// ---- baselines (what the benchmarks compare against; validated by the same tests) -----------
// softmax_kl computed by composition: scale by 1/T (helper kernel), cudnnSoftmaxForward
// (CUDNN_SOFTMAX_LOG, MODE_INSTANCE, tensors N×C×1×1) for student and teacher, an elementwise KL
// kernel, a row-sum reduction, and for the gradient an elementwise kernel on the log-probs.
void softmax_kl_cudnn(const float* s, const float* t, int64_t N, int64_t C, float temperature,
                      bool teacher_is_probs, float* loss, float* grad_s, const float* grad_loss,
                      cudaStream_t stream);
// cross_entropy by composition: cudnnSoftmaxForward LOG, an NLL gather + reduction, and for the
// gradient exp(log p) − target elementwise. Same contract as cross_entropy.
void cross_entropy_cudnn(const float* z, const int64_t* y, int64_t N, int64_t C,
                         float label_smoothing, int64_t ignore_index, float* loss, float* row_lse,
                         float* valid, float* grad, const float* grad_loss, int* bad_label,
                         cudaStream_t stream);
// cohort_kl (no CE fusion) as K(K−1) pairwise softmax_kl calls (best version; ensemble mode is
// not pairwise and is rejected) plus the accumulation of each student's gradient.
void cohort_kl_pairwise(const float* const* logits, int K, int64_t N, int64_t C, float temperature,
                        DmlMode mode, float* losses, float* const* grads, const float* grad_losses,
                        cudaStream_t stream);
// The FSP baseline is fsp_loss / fsp_matrix version 0 (cublasSgemmStridedBatched).

}  // namespace cohort::cuda::lab
