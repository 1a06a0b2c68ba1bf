// softmax, log_softmax (over the last dim) and dropout front-ends.
#include "core/autograd.h"
#include "core/backend.h"
#include "core/kernel_views.h"
#include "core/ops/check.h"
#include "core/ops/elementwise.h"
#include "core/ops/nn.h"
#include "kernels/nn.h"

namespace cohort::ops {

namespace {

Tensor softmax_impl(const Tensor& x, bool log) {
  const char* op = log ? "log_softmax" : "softmax";
  check_defined(op, x, "input");
  check_floating(op, x);
  COHORT_CHECK(x.dim() >= 1 && x.size(-1) > 0,
               "{}: expected at least 1 dim with a non-empty last dim, got shape {}", op,
               shape_str(x.shape()));
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  COHORT_DISPATCH(x.device(), softmax_forward, view_of(x), mutable_view_of(y), log);
  if (autograd::needs_grad({&x}))
    autograd::record(y, op, {x}, [y_saved = y.detach(), log](const Tensor& g) -> std::vector<Tensor> {
      Tensor gx = Tensor::empty(y_saved.shape(), g.dtype(), g.device());
      COHORT_DISPATCH(g.device(), softmax_backward, view_of(y_saved), view_of(g),
                      mutable_view_of(gx), log);
      return {gx};
    });
  return y;
}

}  // namespace

Tensor softmax(const Tensor& x) { return softmax_impl(x, false); }
Tensor log_softmax(const Tensor& x) { return softmax_impl(x, true); }

Tensor dropout(const Tensor& x, double p, bool training, Generator& gen) {
  check_defined("dropout", x, "input");
  check_floating("dropout", x);
  COHORT_CHECK(p >= 0.0 && p <= 1.0, "dropout: probability {} is outside [0, 1] (input {})", p,
               shape_str(x.shape()));
  if (!training || p == 0.0) return x;
  // mask = bernoulli(1-p) / (1-p), drawn from gen's Philox stream; the product is an ordinary
  // recorded mul, so the backward is g·mask. p == 1 drops everything (mask of zeros).
  Tensor mask = bernoulli(x.shape(), 1.0 - p, gen, x.dtype(), x.device());
  if (p < 1.0) mul_(mask, 1.0 / (1.0 - p));
  return mul(x, mask);
}

}  // namespace cohort::ops
