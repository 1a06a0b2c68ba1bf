// Pooling front-ends: max_pool2d (with indices), avg_pool2d, global_avg_pool2d.
#include "core/autograd.h"
#include "core/backend.h"
#include "core/kernel_views.h"
#include "core/ops/check.h"
#include "core/ops/nn.h"
#include "core/ops/reduce.h"
#include "kernels/nn.h"

namespace cohort::ops {

namespace {

// Validates and returns the output shape [N, C, P, Q].
Shape pool_output_shape(const char* op, const Tensor& x, const Pool2dParams& p) {
  check_defined(op, x, "input");
  check_dim(op, x, 4, "input");
  check_floating(op, x);
  COHORT_CHECK(p.kernel_h > 0 && p.kernel_w > 0 && p.stride_h > 0 && p.stride_w > 0 &&
                   p.pad_h >= 0 && p.pad_w >= 0,
               "{}: kernel ({}, {}) and stride ({}, {}) must be positive and padding ({}, {}) "
               "non-negative (input {})",
               op, p.kernel_h, p.kernel_w, p.stride_h, p.stride_w, p.pad_h, p.pad_w,
               shape_str(x.shape()));
  // As PyTorch: larger padding would allow windows lying entirely in the padding.
  COHORT_CHECK(2 * p.pad_h <= p.kernel_h && 2 * p.pad_w <= p.kernel_w,
               "{}: padding ({}, {}) must be at most half the kernel ({}, {})", op, p.pad_h,
               p.pad_w, p.kernel_h, p.kernel_w);
  COHORT_CHECK(p.kernel_h <= x.size(2) + 2 * p.pad_h && p.kernel_w <= x.size(3) + 2 * p.pad_w,
               "{}: kernel {}x{} is larger than the padded input {}x{} (input {})", op, p.kernel_h,
               p.kernel_w, x.size(2) + 2 * p.pad_h, x.size(3) + 2 * p.pad_w, shape_str(x.shape()));
  return {x.size(0), x.size(1), conv_out_size(x.size(2), p.kernel_h, p.stride_h, p.pad_h, 1),
          conv_out_size(x.size(3), p.kernel_w, p.stride_w, p.pad_w, 1)};
}

}  // namespace

Tensor max_pool2d(const Tensor& x, const Pool2dParams& p) {
  const Shape out_shape = pool_output_shape("max_pool2d", x, p);
  Tensor y = Tensor::empty(out_shape, x.dtype(), x.device());
  Tensor indices = Tensor::empty(out_shape, DType::i64, x.device());
  COHORT_DISPATCH(x.device(), max_pool2d_forward, view_of(x), mutable_view_of(y),
                  mutable_view_of(indices), p);
  if (autograd::needs_grad({&x}))
    autograd::record(y, "max_pool2d", {x},
                     [indices, x_shape = x.shape(), p](const Tensor& g) -> std::vector<Tensor> {
                       Tensor gx = Tensor::empty(x_shape, g.dtype(), g.device());
                       COHORT_DISPATCH(g.device(), max_pool2d_backward, view_of(g), view_of(indices),
                                       mutable_view_of(gx), p);
                       return {gx};
                     });
  return y;
}

Tensor avg_pool2d(const Tensor& x, const Pool2dParams& p) {
  const Shape out_shape = pool_output_shape("avg_pool2d", x, p);
  Tensor y = Tensor::empty(out_shape, x.dtype(), x.device());
  COHORT_DISPATCH(x.device(), avg_pool2d_forward, view_of(x), mutable_view_of(y), p);
  if (autograd::needs_grad({&x}))
    autograd::record(y, "avg_pool2d", {x},
                     [x_shape = x.shape(), p](const Tensor& g) -> std::vector<Tensor> {
                       Tensor gx = Tensor::empty(x_shape, g.dtype(), g.device());
                       COHORT_DISPATCH(g.device(), avg_pool2d_backward, view_of(g), mutable_view_of(gx), p);
                       return {gx};
                     });
  return y;
}

Tensor global_avg_pool2d(const Tensor& x) {
  check_defined("global_avg_pool2d", x, "input");
  check_dim("global_avg_pool2d", x, 4, "input");
  check_floating("global_avg_pool2d", x);
  COHORT_CHECK(x.size(2) * x.size(3) > 0, "global_avg_pool2d: empty spatial dims in input {}",
               shape_str(x.shape()));
  return mean(x, {2, 3});
}

}  // namespace cohort::ops
