// Tensor-facing wrappers of the block-per-row loss kernels (losses.cu).
#include "kernels/cuda/losses.h"

#include "kernels/cuda/losses_kernels.cuh"
#include "kernels/cuda/tensor_util.h"

namespace cohort::cuda {

namespace {
// Per-row scratch in double, from the caching allocator.
Tensor scratch(int64_t n, Device device) { return Tensor::empty({n}, DType::f64, device); }
}  // namespace

void cross_entropy_forward(const Tensor& logits, const Tensor& labels, double eps, int64_t ignore_index,
                           Tensor& loss, Tensor& row_lse, Tensor& valid) {
  OpScope scope(logits);
  const int64_t N = logits.size(0), C = logits.size(1);
  Tensor row_loss = scratch(N, logits.device()), row_valid = scratch(N, logits.device());
  Tensor bad = Tensor::zeros({1}, DType::i64, logits.device());
  COHORT_DISPATCH_FLOATING(logits.dtype(), "cross_entropy", [&] {
    kern::cross_entropy_forward<scalar_t>(logits.data<scalar_t>(), labels.data<int64_t>(), N, C, eps, ignore_index,
                                          row_lse.data<scalar_t>(), row_loss.data<double>(), row_valid.data<double>(),
                                          loss.data<scalar_t>(), valid.data<scalar_t>(),
                                          reinterpret_cast<int*>(bad.data<int64_t>()), scope.stream());
  });
  // The one synchronisation of this op: a wrong label must be an error, not garbage.
  if (bad.item() != 0) {
    std::vector<int64_t> y = labels.to_vector<int64_t>();
    for (int64_t n = 0; n < N; ++n)
      COHORT_CHECK(y[static_cast<size_t>(n)] == ignore_index || (y[static_cast<size_t>(n)] >= 0 && y[static_cast<size_t>(n)] < C),
                   "cross_entropy: label {} at row {} is outside [0, {}) (and is not ignore_index {})",
                   y[static_cast<size_t>(n)], n, C, ignore_index);
  }
}

void cross_entropy_backward(const Tensor& logits, const Tensor& labels, const Tensor& row_lse, const Tensor& valid,
                            const Tensor& grad_loss, double eps, int64_t ignore_index, Tensor& grad_logits) {
  OpScope scope(logits);
  COHORT_DISPATCH_FLOATING(logits.dtype(), "cross_entropy_backward", [&] {
    kern::cross_entropy_backward<scalar_t>(logits.data<scalar_t>(), labels.data<int64_t>(), row_lse.data<scalar_t>(),
                                           valid.data<scalar_t>(), grad_loss.data<scalar_t>(), logits.size(0),
                                           logits.size(1), eps, ignore_index, grad_logits.data<scalar_t>(),
                                           scope.stream());
  });
}

void kd_kl_forward(const Tensor& student, const Tensor& teacher, double temperature, bool teacher_is_probs,
                   Tensor& loss) {
  OpScope scope(student);
  Tensor row_kl = scratch(student.size(0), student.device());
  COHORT_DISPATCH_FLOATING(student.dtype(), "kd_kl", [&] {
    kern::kd_kl_forward<scalar_t>(student.data<scalar_t>(), teacher.data<scalar_t>(), student.size(0),
                                  student.size(1), temperature, teacher_is_probs, row_kl.data<double>(),
                                  loss.data<scalar_t>(), scope.stream());
  });
}

void kd_kl_backward(const Tensor& student, const Tensor& teacher, double temperature, bool teacher_is_probs,
                    const Tensor& grad_loss, Tensor& grad_student, Tensor& grad_teacher) {
  OpScope scope(student);
  COHORT_DISPATCH_FLOATING(student.dtype(), "kd_kl_backward", [&] {
    kern::kd_kl_backward<scalar_t>(student.data<scalar_t>(), teacher.data<scalar_t>(), student.size(0),
                                   student.size(1), temperature, teacher_is_probs, grad_loss.data<scalar_t>(),
                                   grad_student.data<scalar_t>(),
                                   grad_teacher.defined() ? grad_teacher.data<scalar_t>() : nullptr, scope.stream());
  });
}

namespace {
template <typename T>
kern::CohortPtrs<T> cohort_ptrs(const std::vector<Tensor>& logits, std::vector<Tensor>* grads) {
  COHORT_CHECK(logits.size() <= static_cast<size_t>(kern::kMaxCohort),
               "dml_mimicry: the CUDA kernel takes at most {} students, got {}", kern::kMaxCohort, logits.size());
  kern::CohortPtrs<T> p{};
  for (size_t k = 0; k < logits.size(); ++k) {
    p.z[k] = logits[k].data<T>();
    p.g[k] = grads && (*grads)[k].defined() ? (*grads)[k].data<T>() : nullptr;
  }
  return p;
}
}  // namespace

void dml_mimicry_forward(const std::vector<Tensor>& logits, double temperature, DmlMode mode, Tensor& losses) {
  OpScope scope(logits[0]);
  const int K = static_cast<int>(logits.size());
  Tensor rows = scratch(K * logits[0].size(0), logits[0].device());
  COHORT_DISPATCH_FLOATING(logits[0].dtype(), "dml_mimicry", [&] {
    kern::dml_forward<scalar_t>(cohort_ptrs<scalar_t>(logits, nullptr), K, logits[0].size(0), logits[0].size(1),
                                temperature, static_cast<int>(mode), rows.data<double>(), losses.data<scalar_t>(),
                                scope.stream());
  });
}

void dml_mimicry_backward(const std::vector<Tensor>& logits, double temperature, DmlMode mode,
                          const Tensor& grad_losses, std::vector<Tensor>& grads) {
  OpScope scope(logits[0]);
  COHORT_DISPATCH_FLOATING(logits[0].dtype(), "dml_mimicry_backward", [&] {
    kern::dml_backward<scalar_t>(cohort_ptrs<scalar_t>(logits, &grads), static_cast<int>(logits.size()),
                                 logits[0].size(0), logits[0].size(1), temperature, static_cast<int>(mode),
                                 grad_losses.data<scalar_t>(), scope.stream());
  });
}

}  // namespace cohort::cuda
