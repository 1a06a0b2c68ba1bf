// CPU references of the distillation losses. Mirrored in kernels/cuda/losses.h.
//
// Shapes: logits [N, C] row-major, labels i64 [N]; scalar outputs have shape []. Outputs are
// overwritten. All formulas are written out in docs/kernels.md.
#pragma once

#include <vector>

#include "core/tensor.h"
#include "kernels/common/op_enums.h"

namespace cohort::cpu {

// Mean over rows whose label != ignore_index of
//   (1 − ε)·(−log p_y) + ε·mean_c(−log p_c),   p = softmax(z).
// Writes loss [] and row_lse [N] (log-sum-exp of each row, kept for backward) and valid [] (the
// number of rows counted, as the logits' dtype). Throws ValueError for a label outside [0, C)
// that is not ignore_index.
void cross_entropy_forward(const Tensor& logits, const Tensor& labels, double label_smoothing,
                           int64_t ignore_index, Tensor& loss, Tensor& row_lse, Tensor& valid);
// grad_logits = g · ((p − target) / valid) per counted row, 0 on ignored rows.
void cross_entropy_backward(const Tensor& logits, const Tensor& labels, const Tensor& row_lse,
                            const Tensor& valid, const Tensor& grad_loss, double label_smoothing,
                            int64_t ignore_index, Tensor& grad_logits);

// L = T²/N Σ_n Σ_c p_t log(p_t / p_s), p_s = softmax(s/T); p_t = softmax(t/T), or t itself when
// teacher_is_probs. Writes loss [].
void kd_kl_forward(const Tensor& student, const Tensor& teacher, double temperature,
                   bool teacher_is_probs, Tensor& loss);
// grad_student = g·(T/N)(p_s − p_t). grad_teacher (may be undefined = not wanted):
//   logits: g·(T/N)·p_t ⊙ (log p_t − log p_s − KL_n);  probabilities: g·(T²/N)(log p_t − log p_s + 1).
void kd_kl_backward(const Tensor& student, const Tensor& teacher, double temperature,
                    bool teacher_is_probs, const Tensor& grad_loss, Tensor& grad_student,
                    Tensor& grad_teacher);

// For K students z_k [N, C], p_k = softmax(z_k/T), losses [K]:
//   average:  L_k = T²/(N(K−1)) Σ_{l≠k} Σ_n KL(p_l ‖ p_k)
//   sum:      L_k = T²/N        Σ_{l≠k} Σ_n KL(p_l ‖ p_k)
//   ensemble: L_k = T²/N Σ_n KL(q_k ‖ p_k),  q_k = mean_{l≠k} p_l
void dml_mimicry_forward(const std::vector<Tensor>& logits, double temperature, DmlMode mode,
                         Tensor& losses);
// grads[k] = g_k·(T/N)·(p_k − q_k), times (K−1) for sum (peers are constants).
void dml_mimicry_backward(const std::vector<Tensor>& logits, double temperature, DmlMode mode,
                          const Tensor& grad_losses, std::vector<Tensor>& grads);

}  // namespace cohort::cpu
