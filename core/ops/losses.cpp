#include "core/ops/losses.h"

#include "core/autograd.h"
#include "core/backend.h"
#include "core/kernel_views.h"
#include "core/ops/check.h"
#include "core/ops/elementwise.h"
#include "core/ops/linalg.h"
#include "core/ops/reduce.h"
#include "kernels/losses.h"

namespace cohort::ops {

namespace {

void check_logits(const char* op, const Tensor& z, const char* arg) {
  check_defined(op, z, arg);
  check_floating(op, z);
  COHORT_CHECK(z.dim() == 2 && z.size(0) > 0 && z.size(1) > 0,
               "{}: '{}' must be non-empty [N, C] logits, got shape {}", op, arg, shape_str(z.shape()));
}

void check_pair(const char* op, const Tensor& a, const Tensor& b) {
  check_same_device(op, a, b);
  check_same_dtype(op, a, b);
  COHORT_CHECK(a.shape() == b.shape(), "{}: shapes {} and {} differ", op, shape_str(a.shape()),
               shape_str(b.shape()));
}

}  // namespace

Tensor cross_entropy(const Tensor& logits, const Tensor& labels, const CrossEntropyOptions& opt) {
  check_logits("cross_entropy", logits, "logits");
  check_defined("cross_entropy", labels, "labels");
  COHORT_CHECK(labels.dtype() == DType::i64 && labels.dim() == 1 && labels.size(0) == logits.size(0),
               "cross_entropy: labels must be i64 [N] for logits {}, got {} {}", shape_str(logits.shape()),
               dtype_name(labels.dtype()), shape_str(labels.shape()));
  check_same_device("cross_entropy", logits, labels);
  COHORT_CHECK(opt.label_smoothing >= 0.0 && opt.label_smoothing <= 1.0,
               "cross_entropy: label_smoothing must be in [0, 1], got {}", opt.label_smoothing);
  Tensor loss = Tensor::empty({}, logits.dtype(), logits.device());
  Tensor lse = Tensor::empty({logits.size(0)}, logits.dtype(), logits.device());
  Tensor valid = Tensor::empty({}, logits.dtype(), logits.device());
  COHORT_DISPATCH(logits.device(), cross_entropy_forward, view_of(logits), view_of(labels),
                  opt.label_smoothing, opt.ignore_index, mutable_view_of(loss), mutable_view_of(lse),
                  mutable_view_of(valid));
  if (autograd::needs_grad({&logits}))
    autograd::record(loss, "cross_entropy", {logits},
                     [z = logits.detach(), y = labels, lse, valid, opt](const Tensor& g) -> std::vector<Tensor> {
                       Tensor gz = Tensor::empty(z.shape(), z.dtype(), z.device());
                       COHORT_DISPATCH(z.device(), cross_entropy_backward, view_of(z), view_of(y), view_of(lse),
                                       view_of(valid), view_of(g), opt.label_smoothing, opt.ignore_index,
                                       mutable_view_of(gz));
                       return {gz};
                     });
  return loss;
}

Tensor kd_kl(const Tensor& student, const Tensor& teacher, double temperature, const KdOptions& opt) {
  check_logits("kd_kl", student, "student");
  check_logits("kd_kl", teacher, "teacher");
  check_pair("kd_kl", student, teacher);
  COHORT_CHECK(temperature > 0.0, "kd_kl: temperature must be > 0, got {}", temperature);
  Tensor loss = Tensor::empty({}, student.dtype(), student.device());
  COHORT_DISPATCH(student.device(), kd_kl_forward, view_of(student), view_of(teacher), temperature,
                  opt.teacher_is_probs, mutable_view_of(loss));
  const bool teacher_grad = opt.teacher_requires_grad && teacher.requires_grad();
  if (autograd::needs_grad({&student}) || (teacher_grad && autograd::grad_enabled())) {
    // The teacher is an input of the node only when its gradient is wanted: otherwise it is a
    // constant and the sweep never reaches it.
    std::vector<Tensor> inputs{student};
    if (teacher_grad) inputs.push_back(teacher);
    autograd::record(loss, "kd_kl", inputs,
                     [s = student.detach(), t = teacher.detach(), temperature, opt, teacher_grad,
                      rs = student.requires_grad()](const Tensor& g) -> std::vector<Tensor> {
                       Tensor gs = Tensor::empty(s.shape(), s.dtype(), s.device());
                       Tensor gt = teacher_grad ? Tensor::empty(t.shape(), t.dtype(), t.device()) : Tensor();
                       COHORT_DISPATCH(s.device(), kd_kl_backward, view_of(s), view_of(t), temperature,
                                       opt.teacher_is_probs, view_of(g), mutable_view_of(gs), mutable_view_of(gt));
                       std::vector<Tensor> grads{rs ? gs : Tensor()};
                       if (teacher_grad) grads.push_back(gt);
                       return grads;
                     });
  }
  return loss;
}

Tensor dml_mimicry(const std::vector<Tensor>& logits, double temperature, const DmlOptions& opt) {
  COHORT_CHECK(logits.size() >= 2, "dml_mimicry: needs K >= 2 students, got {}", logits.size());
  COHORT_CHECK(temperature > 0.0, "dml_mimicry: temperature must be > 0, got {}", temperature);
  for (size_t k = 0; k < logits.size(); ++k) {
    check_logits("dml_mimicry", logits[k], "logits[k]");
    check_pair("dml_mimicry", logits[0], logits[k]);
  }
  const int64_t K = static_cast<int64_t>(logits.size());
  Tensor losses = Tensor::empty({K}, logits[0].dtype(), logits[0].device());
  std::vector<Tensor> saved;
  for (const Tensor& z : logits) saved.push_back(z.detach());
  COHORT_DISPATCH(logits[0].device(), dml_mimicry_forward, views_of(saved), temperature, opt.mode,
                  mutable_view_of(losses));
  std::vector<bool> wants_grad;
  for (const Tensor& z : logits) wants_grad.push_back(z.requires_grad());
  if (autograd::needs_grad(logits))
    autograd::record(losses, "dml_mimicry", logits,
                     [saved, temperature, opt, wants_grad](const Tensor& g) -> std::vector<Tensor> {
                       std::vector<Tensor> grads;
                       for (size_t k = 0; k < saved.size(); ++k)
                         grads.push_back(wants_grad[k]
                                             ? Tensor::empty(saved[k].shape(), saved[k].dtype(), saved[k].device())
                                             : Tensor());
                       COHORT_DISPATCH(saved[0].device(), dml_mimicry_backward, views_of(saved), temperature,
                                       opt.mode, view_of(g), mutable_views_of(grads));
                       return grads;
                     });
  return losses;
}

Tensor fsp_matrix(const Tensor& f1, const Tensor& f2) {
  check_defined("fsp_matrix", f1, "f1");
  check_defined("fsp_matrix", f2, "f2");
  check_dim("fsp_matrix", f1, 4, "f1");
  check_dim("fsp_matrix", f2, 4, "f2");
  check_same_device("fsp_matrix", f1, f2);
  check_same_dtype("fsp_matrix", f1, f2);
  COHORT_CHECK(f1.size(0) == f2.size(0) && f1.size(2) == f2.size(2) && f1.size(3) == f2.size(3),
               "fsp_matrix: feature maps {} and {} need the same batch and spatial size (resize the "
               "larger one first)", shape_str(f1.shape()), shape_str(f2.shape()));
  const int64_t b = f1.size(0), hw = f1.size(2) * f1.size(3);
  // G = F1·F2ᵀ/(hw) as one batched GEMM (cuBLAS strided-batched on the GPU); its backward is
  // two more GEMMs: dF1 = dG·F2/(hw), dF2 = dGᵀ·F1/(hw).
  return gemm(f1.reshape({b, f1.size(1), hw}), false, f2.reshape({b, f2.size(1), hw}), true,
              1.0 / static_cast<double>(hw));
}

Tensor fsp_loss(const Tensor& gs, const Tensor& gt, double lambda) {
  check_defined("fsp_loss", gs, "gs");
  check_defined("fsp_loss", gt, "gt");
  check_dim("fsp_loss", gs, 3, "gs");
  check_pair("fsp_loss", gs, gt);
  Tensor diff = sub(gs, gt);
  return mul(sum(mul(diff, diff)), lambda / static_cast<double>(gs.size(0)));
}

Tensor hint_mse(const Tensor& pred, const Tensor& target) {
  check_defined("hint_mse", pred, "pred");
  check_defined("hint_mse", target, "target");
  check_pair("hint_mse", pred, target);
  Tensor diff = sub(pred, target);
  return mean(mul(diff, diff));
}

}  // namespace cohort::ops
