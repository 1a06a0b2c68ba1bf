// Distillation losses as autograd ops (docs/architecture.md). Contracts and derivations:
// docs/kernels.md. Every loss is a batch mean; temperatures scale value and gradient together.
#pragma once

#include <vector>

#include "core/tensor.h"
#include "kernels/common/op_enums.h"

namespace cohort::ops {

struct CrossEntropyOptions {
  double label_smoothing = 0.0;  // ε in [0, 1]
  int64_t ignore_index = -100;   // rows with this label count neither in the sum nor the mean
};

// Fused log-softmax + NLL: logits [N,C], labels i64 [N] -> []. PyTorch's F.cross_entropy
// (reduction mean). A label outside [0, C) that is not ignore_index is a ValueError — on CUDA
// thrown by the calling thread's next synchronising call (e.g. item()), as the op itself does
// not wait for the GPU.
Tensor cross_entropy(const Tensor& logits, const Tensor& labels, const CrossEntropyOptions& options = {});

struct KdOptions {
  bool teacher_is_probs = false;       // `teacher` holds probabilities (e.g. an ensemble's mean)
  bool teacher_requires_grad = false;  // let gradient flow into the teacher too
};

// Hinton's KD term: T²/N Σ_n KL(softmax(t/T) ‖ softmax(s/T)) for student/teacher [N,C] -> [].
// Gradient w.r.t. the student: (T/N)(p_s − p_t). The teacher is a constant unless asked.
Tensor kd_kl(const Tensor& student, const Tensor& teacher, double temperature,
             const KdOptions& options = {});

struct DmlOptions {
  DmlMode mode = DmlMode::average;
};

// The K-student cohort mimicry terms in one op: logits = {z_1..z_K} ([N,C] each, K ≥ 2) ->
// losses [K], where L_k treats every peer as a constant (see kernels/losses.h for the three
// modes). Backward sends to z_k only L_k's gradient (T/N)(p_k − mean_{l≠k} p_l) (×(K−1) for sum).
Tensor dml_mimicry(const std::vector<Tensor>& logits, double temperature, const DmlOptions& options = {});

// FSP (flow of solution procedure) matrix: F1 [B,m,h,w], F2 [B,n,h,w] -> G [B,m,n],
// G[b] = F1[b]·F2[b]ᵀ / (h·w). Both inputs get gradients.
Tensor fsp_matrix(const Tensor& f1, const Tensor& f2);
// λ/B · Σ_b ‖Gs[b] − Gt[b]‖²_F for Gs, Gt [B,m,n] -> []; Gt gets a gradient only if it requires one.
Tensor fsp_loss(const Tensor& gs, const Tensor& gt, double lambda);
// FitNet hint regression: mean over all elements of (pred − target)².
Tensor hint_mse(const Tensor& pred, const Tensor& target);

}  // namespace cohort::ops
