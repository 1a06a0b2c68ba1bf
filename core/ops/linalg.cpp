#include "core/ops/linalg.h"

#include "core/autograd.h"
#include "core/backend.h"
#include "core/kernel_views.h"
#include "core/ops/check.h"
#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "kernels/linalg.h"

namespace cohort::ops {

Tensor gemm(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b, double alpha) {
  check_defined("matmul", a, "a");
  check_defined("matmul", b, "b");
  check_same_device("matmul", a, b);
  check_same_dtype("matmul", a, b);
  check_floating("matmul", a);
  COHORT_CHECK((a.dim() == 2 || a.dim() == 3) && a.dim() == b.dim(),
               "matmul: expected two 2-D or two 3-D tensors, got {} and {}", shape_str(a.shape()),
               shape_str(b.shape()));
  bool batched = a.dim() == 3;
  int64_t off = batched ? 1 : 0;
  if (batched)
    COHORT_CHECK(a.size(0) == b.size(0), "matmul: batch sizes differ: {} and {}",
                 shape_str(a.shape()), shape_str(b.shape()));
  int64_t m = trans_a ? a.size(off + 1) : a.size(off);
  int64_t ka = trans_a ? a.size(off) : a.size(off + 1);
  int64_t kb = trans_b ? b.size(off + 1) : b.size(off);
  int64_t n = trans_b ? b.size(off) : b.size(off + 1);
  COHORT_CHECK(ka == kb, "matmul: inner dimensions differ: {}{} · {}{}", shape_str(a.shape()),
               trans_a ? "ᵀ" : "", shape_str(b.shape()), trans_b ? "ᵀ" : "");
  Shape out_shape = batched ? Shape{a.size(0), m, n} : Shape{m, n};
  Tensor out = Tensor::empty(out_shape, a.dtype(), a.device());
  COHORT_DISPATCH(a.device(), gemm, view_of(a), trans_a, view_of(b), trans_b,
                  mutable_view_of(out), alpha, 0.0);

  if (autograd::needs_grad({&a, &b})) {
    // C = α op(A) op(B). For op(A) = A: dA = α dC op(B)ᵀ; for op(A) = Aᵀ: dA = α op(B) dCᵀ.
    // Likewise for B. Each case is one more gemm with transposes, no explicit transposed copies.
    autograd::record(out, "matmul", {a, b},
                     [a = a.detach(), b = b.detach(), ra = a.requires_grad(), rb = b.requires_grad(),
                      trans_a, trans_b, alpha](const Tensor& g) -> std::vector<Tensor> {
                       Tensor ga, gb;
                       if (ra) ga = trans_a ? gemm(b, trans_b, g, true, alpha)
                                            : gemm(g, false, b, !trans_b, alpha);
                       if (rb) gb = trans_b ? gemm(g, true, a, trans_a, alpha)
                                            : gemm(a, !trans_a, g, false, alpha);
                       return {ga, gb};
                     });
  }
  return out;
}

Tensor matmul(const Tensor& a, const Tensor& b) { return gemm(a, false, b, false, 1.0); }

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  check_defined("linear", x, "input");
  check_defined("linear", weight, "weight");
  check_dim("linear", x, 2, "input");
  check_dim("linear", weight, 2, "weight");
  COHORT_CHECK(x.size(1) == weight.size(1),
               "linear: input {} has {} features but weight {} expects {}", shape_str(x.shape()),
               x.size(1), shape_str(weight.shape()), weight.size(1));
  Tensor y = gemm(x, false, weight, true, 1.0);
  if (!bias.defined()) return y;
  COHORT_CHECK(bias.dim() == 1 && bias.size(0) == weight.size(0),
               "linear: bias shape {} does not match weight {}", shape_str(bias.shape()),
               shape_str(weight.shape()));
  return add(y, bias);
}

}  // namespace cohort::ops
