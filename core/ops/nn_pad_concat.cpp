// pad2d (zero, reflect) and concat_channels front-ends.
#include "core/autograd.h"
#include "core/backend.h"
#include "core/kernel_views.h"
#include "core/ops/check.h"
#include "core/ops/nn.h"
#include "kernels/nn.h"

namespace cohort::ops {

Tensor pad2d(const Tensor& x, const Pad2dParams& p) {
  constexpr const char* op = "pad2d";
  check_defined(op, x, "input");
  check_floating(op, x);
  COHORT_CHECK(x.dim() == 3 || x.dim() == 4, "pad2d: expected a 3-D or 4-D input, got shape {}",
               shape_str(x.shape()));
  COHORT_CHECK(p.left >= 0 && p.right >= 0 && p.top >= 0 && p.bottom >= 0,
               "pad2d: pads (left {}, right {}, top {}, bottom {}) must be non-negative (input {})",
               p.left, p.right, p.top, p.bottom, shape_str(x.shape()));
  const int64_t H = x.size(-2), W = x.size(-1);
  if (p.mode == PadMode::reflect)
    COHORT_CHECK(p.left < W && p.right < W && p.top < H && p.bottom < H,
                 "pad2d: reflect pads (left {}, right {}, top {}, bottom {}) must be smaller than "
                 "the input size {}x{} (input {})",
                 p.left, p.right, p.top, p.bottom, H, W, shape_str(x.shape()));
  Shape out_shape = x.shape();
  out_shape[out_shape.size() - 2] = H + p.top + p.bottom;
  out_shape[out_shape.size() - 1] = W + p.left + p.right;
  Tensor y = Tensor::empty(out_shape, x.dtype(), x.device());
  COHORT_DISPATCH(x.device(), pad2d_forward, view_of(x), mutable_view_of(y), p);
  if (autograd::needs_grad({&x}))
    autograd::record(y, op, {x}, [x_shape = x.shape(), p](const Tensor& g) -> std::vector<Tensor> {
      Tensor gx = Tensor::empty(x_shape, g.dtype(), g.device());
      COHORT_DISPATCH(g.device(), pad2d_backward, view_of(g), mutable_view_of(gx), p);
      return {gx};
    });
  return y;
}

Tensor concat_channels(const std::vector<Tensor>& xs) {
  constexpr const char* op = "concat_channels";
  COHORT_CHECK(!xs.empty(), "concat_channels: needs at least one tensor");
  const Tensor& first = xs[0];
  check_defined(op, first, "xs[0]");
  COHORT_CHECK(first.dim() >= 2, "concat_channels: tensors need a channel dim (dim 1), got shape {}",
               shape_str(first.shape()));
  int64_t channels = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const Tensor& t = xs[i];
    check_defined(op, t, fmt::format("xs[{}]", i));
    check_same_dtype(op, first, t);
    check_same_device(op, first, t);
    bool same_other_dims = t.dim() == first.dim();
    for (int64_t d = 0; same_other_dims && d < t.dim(); ++d)
      if (d != 1 && t.size(d) != first.size(d)) same_other_dims = false;
    COHORT_CHECK(same_other_dims,
                 "concat_channels: shapes {} (xs[0]) and {} (xs[{}]) differ outside dim 1",
                 shape_str(first.shape()), shape_str(t.shape()), i);
    channels += t.size(1);
  }
  Shape out_shape = first.shape();
  out_shape[1] = channels;
  Tensor y = Tensor::empty(out_shape, first.dtype(), first.device());
  std::vector<int64_t> offsets;
  int64_t offset = 0;
  for (const Tensor& t : xs) {
    COHORT_DISPATCH(t.device(), copy_channels, view_of(t), mutable_view_of(y), offset);
    offsets.push_back(offset);
    offset += t.size(1);
  }
  if (autograd::needs_grad(xs)) {
    std::vector<Shape> shapes;
    std::vector<bool> wants;
    for (const Tensor& t : xs) {
      shapes.push_back(t.shape());
      wants.push_back(t.requires_grad());
    }
    autograd::record(y, op, xs,
                     [shapes, wants, offsets](const Tensor& g) -> std::vector<Tensor> {
                       std::vector<Tensor> grads(shapes.size());
                       for (size_t i = 0; i < shapes.size(); ++i) {
                         if (!wants[i]) continue;
                         grads[i] = Tensor::empty(shapes[i], g.dtype(), g.device());
                         COHORT_DISPATCH(g.device(), slice_channels, view_of(g), mutable_view_of(grads[i]),
                                         offsets[i]);
                       }
                       return grads;
                     });
  }
  return y;
}

}  // namespace cohort::ops
