// CUDA twins of kernels/cpu/losses.h (identical signatures and contracts). They run the
// straightforward block-per-row kernels of losses.cu; f32 runs the lab kernels
// (kernels/cuda/lab/, docs/kernels.md) instead when loss_kernels() is `lab` (core/loss_kernels.h).
#pragma once

#include <vector>

#include "core/tensor.h"
#include "kernels/common/op_enums.h"

namespace cohort::cuda {

// Out-of-range labels: the kernel raises a device flag; the wrapper does not wait for it but
// defers the check to the thread's next synchronising call (label_check.h), which throws the
// same ValueError as the CPU.
void cross_entropy_forward(const Tensor& logits, const Tensor& labels, double label_smoothing,
                           int64_t ignore_index, Tensor& loss, Tensor& row_lse, Tensor& valid);
void cross_entropy_backward(const Tensor& logits, const Tensor& labels, const Tensor& row_lse,
                            const Tensor& valid, const Tensor& grad_loss, double label_smoothing,
                            int64_t ignore_index, Tensor& grad_logits);
void kd_kl_forward(const Tensor& student, const Tensor& teacher, double temperature,
                   bool teacher_is_probs, Tensor& loss);
void kd_kl_backward(const Tensor& student, const Tensor& teacher, double temperature,
                    bool teacher_is_probs, const Tensor& grad_loss, Tensor& grad_student,
                    Tensor& grad_teacher);
// K <= 8 students on the GPU path.
void dml_mimicry_forward(const std::vector<Tensor>& logits, double temperature, DmlMode mode,
                         Tensor& losses);
void dml_mimicry_backward(const std::vector<Tensor>& logits, double temperature, DmlMode mode,
                          const Tensor& grad_losses, std::vector<Tensor>& grads);

}  // namespace cohort::cuda
