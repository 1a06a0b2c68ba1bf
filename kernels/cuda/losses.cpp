// View-facing wrappers of the loss kernels. Every dtype runs the simple block-per-row kernels
// of losses.cu by default; f32 runs the lab kernels (kernels/cuda/lab/, docs/kernels.md: one
// fused launch per loss, the K-student cohort in one launch) when loss_kernels() is `lab`
// (COHORT_LOSS_KERNELS=lab) — the default changes only with a GPU benchmark log that shows the
// lab kernels faster (docs/kernels.md, "Which version ships").
#include "kernels/losses.h"

#include "core/loss_kernels.h"
#include "kernels/cuda/lab/shipped.h"
#include "kernels/cuda/label_check.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/losses_kernels.cuh"
#include "kernels/cuda/scratch.h"
#include "kernels/cuda/tensor_util.h"

namespace cohort::cuda {

namespace {
// Per-row scratch in double, from the caching allocator.
DeviceScratch rows_scratch(int64_t n, const OpScope& scope) {
  return DeviceScratch(static_cast<size_t>(n) * sizeof(double), scope.device());
}

// The bad-label flag (an int in an 8-byte block), zeroed on the op's stream.
DeviceScratch zeroed_flag(const OpScope& scope) {
  DeviceScratch bad(sizeof(int64_t), scope.device());
  COHORT_CUDA_CHECK(cudaMemsetAsync(bad.get(), 0, sizeof(int64_t), scope.stream()));
  return bad;
}

bool use_lab(ConstView t) { return loss_kernels() == LossKernels::lab && t.dtype() == DType::f32; }

// A wrong label must be an error, not garbage — but reading the flag back here would make every
// cross_entropy a host synchronisation. The check is deferred to the thread's next synchronising
// call (label_check.h); earlier completed checks are looked at first.
void defer_bad_label_check(const DeviceScratch& bad, ConstView labels, int64_t C, int64_t ignore_index,
                           const OpScope& scope) {
  check_deferred_labels();
  defer_label_check(bad.as<int>(), labels, C, ignore_index, scope.device(), scope.stream());
}

std::vector<const float*> logit_ptrs(const std::vector<ConstView>& logits) {
  COHORT_CHECK(logits.size() <= static_cast<size_t>(kMaxCohort),
               "dml_mimicry: the CUDA kernel takes at most {} students, got {}", kMaxCohort, logits.size());
  std::vector<const float*> p;
  for (ConstView z : logits) p.push_back(z.data<float>());
  return p;
}
}  // namespace

void cross_entropy_forward(ConstView logits, ConstView labels, double eps, int64_t ignore_index,
                           View loss, View row_lse, View valid) {
  OpScope scope(logits);
  const int64_t N = logits.size(0), C = logits.size(1);
  if (use_lab(logits)) {
    const DeviceScratch bad = zeroed_flag(scope);
    lab::cross_entropy_shipped(logits.data<float>(), labels.data<int64_t>(), N, C, static_cast<float>(eps),
                               ignore_index, loss.data<float>(), row_lse.data<float>(), valid.data<float>(),
                               nullptr, nullptr, bad.as<int>(), scope.stream());
    defer_bad_label_check(bad, labels, C, ignore_index, scope);
    return;
  }
  const DeviceScratch row_loss = rows_scratch(N, scope), row_valid = rows_scratch(N, scope);
  const DeviceScratch bad = zeroed_flag(scope);
  COHORT_DISPATCH_FLOATING(logits.dtype(), "cross_entropy", [&] {
    kern::cross_entropy_forward<scalar_t>(logits.data<scalar_t>(), labels.data<int64_t>(), N, C, eps, ignore_index,
                                          row_lse.data<scalar_t>(), row_loss.as<double>(), row_valid.as<double>(),
                                          loss.data<scalar_t>(), valid.data<scalar_t>(),
                                          bad.as<int>(), scope.stream());
  });
  defer_bad_label_check(bad, labels, C, ignore_index, scope);
}

void cross_entropy_backward(ConstView logits, ConstView labels, ConstView row_lse, ConstView valid,
                            ConstView grad_loss, double eps, int64_t ignore_index, View grad_logits) {
  OpScope scope(logits);
  if (use_lab(logits)) {
    lab::cross_entropy_shipped(logits.data<float>(), labels.data<int64_t>(), logits.size(0), logits.size(1),
                               static_cast<float>(eps), ignore_index, nullptr, nullptr, nullptr,
                               grad_logits.data<float>(), grad_loss.data<float>(), nullptr, scope.stream());
    return;
  }
  COHORT_DISPATCH_FLOATING(logits.dtype(), "cross_entropy_backward", [&] {
    kern::cross_entropy_backward<scalar_t>(logits.data<scalar_t>(), labels.data<int64_t>(), row_lse.data<scalar_t>(),
                                           valid.data<scalar_t>(), grad_loss.data<scalar_t>(), logits.size(0),
                                           logits.size(1), eps, ignore_index, grad_logits.data<scalar_t>(),
                                           scope.stream());
  });
}

void kd_kl_forward(ConstView student, ConstView teacher, double temperature, bool teacher_is_probs,
                   View loss) {
  OpScope scope(student);
  if (use_lab(student)) {
    lab::softmax_kl_shipped(student.data<float>(), teacher.data<float>(), student.size(0), student.size(1),
                            static_cast<float>(temperature), teacher_is_probs, loss.data<float>(), nullptr,
                            nullptr, scope.stream());
    return;
  }
  const DeviceScratch row_kl = rows_scratch(student.size(0), scope);
  COHORT_DISPATCH_FLOATING(student.dtype(), "kd_kl", [&] {
    kern::kd_kl_forward<scalar_t>(student.data<scalar_t>(), teacher.data<scalar_t>(), student.size(0),
                                  student.size(1), temperature, teacher_is_probs, row_kl.as<double>(),
                                  loss.data<scalar_t>(), scope.stream());
  });
}

void kd_kl_backward(ConstView student, ConstView teacher, double temperature, bool teacher_is_probs,
                    ConstView grad_loss, View grad_student, View grad_teacher) {
  OpScope scope(student);
  // The lab kernels give the student's gradient only; a teacher that wants one takes the simple path.
  if (use_lab(student) && !grad_teacher.defined()) {
    lab::softmax_kl_shipped(student.data<float>(), teacher.data<float>(), student.size(0), student.size(1),
                            static_cast<float>(temperature), teacher_is_probs, nullptr,
                            grad_student.data<float>(), grad_loss.data<float>(), scope.stream());
    return;
  }
  COHORT_DISPATCH_FLOATING(student.dtype(), "kd_kl_backward", [&] {
    kern::kd_kl_backward<scalar_t>(student.data<scalar_t>(), teacher.data<scalar_t>(), student.size(0),
                                   student.size(1), temperature, teacher_is_probs, grad_loss.data<scalar_t>(),
                                   grad_student.data<scalar_t>(),
                                   grad_teacher.defined() ? grad_teacher.data<scalar_t>() : nullptr, scope.stream());
  });
}

namespace {
template <typename T>
kern::CohortPtrs<T> cohort_ptrs(const std::vector<ConstView>& logits, const std::vector<View>* grads) {
  COHORT_CHECK(logits.size() <= static_cast<size_t>(kMaxCohort),
               "dml_mimicry: the CUDA kernel takes at most {} students, got {}", kMaxCohort, logits.size());
  kern::CohortPtrs<T> p{};
  for (size_t k = 0; k < logits.size(); ++k) {
    p.z[k] = logits[k].data<T>();
    p.g[k] = grads && (*grads)[k].defined() ? (*grads)[k].data<T>() : nullptr;
  }
  return p;
}
}  // namespace

void dml_mimicry_forward(const std::vector<ConstView>& logits, double temperature, DmlMode mode, View losses) {
  OpScope scope(logits[0]);
  const int K = static_cast<int>(logits.size());
  if (use_lab(logits[0])) {
    std::vector<const float*> z = logit_ptrs(logits);
    lab::cohort_kl_shipped(z.data(), K, logits[0].size(0), logits[0].size(1), static_cast<float>(temperature),
                           mode, losses.data<float>(), nullptr, nullptr, nullptr, scope.stream());
    return;
  }
  const DeviceScratch rows = rows_scratch(K * logits[0].size(0), scope);
  COHORT_DISPATCH_FLOATING(logits[0].dtype(), "dml_mimicry", [&] {
    kern::dml_forward<scalar_t>(cohort_ptrs<scalar_t>(logits, nullptr), K, logits[0].size(0), logits[0].size(1),
                                temperature, static_cast<int>(mode), rows.as<double>(), losses.data<scalar_t>(),
                                scope.stream());
  });
}

void dml_mimicry_backward(const std::vector<ConstView>& logits, double temperature, DmlMode mode,
                          ConstView grad_losses, const std::vector<View>& grads) {
  OpScope scope(logits[0]);
  if (use_lab(logits[0])) {
    std::vector<const float*> z = logit_ptrs(logits);
    std::vector<float*> g;
    for (const View& t : grads) g.push_back(t.defined() ? t.data<float>() : nullptr);
    lab::cohort_kl_shipped(z.data(), static_cast<int>(logits.size()), logits[0].size(0), logits[0].size(1),
                           static_cast<float>(temperature), mode, nullptr, g.data(), grad_losses.data<float>(),
                           nullptr, scope.stream());
    return;
  }
  COHORT_DISPATCH_FLOATING(logits[0].dtype(), "dml_mimicry_backward", [&] {
    kern::dml_backward<scalar_t>(cohort_ptrs<scalar_t>(logits, &grads), static_cast<int>(logits.size()),
                                 logits[0].size(0), logits[0].size(1), temperature, static_cast<int>(mode),
                                 grad_losses.data<scalar_t>(), scope.stream());
  });
}

}  // namespace cohort::cuda
