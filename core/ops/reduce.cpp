#include "core/ops/reduce.h"

#include <algorithm>

#include "core/autograd.h"
#include "core/backend.h"
#include "core/kernel_views.h"
#include "core/ops/check.h"
#include "core/ops/elementwise.h"
#include "core/ops/shape.h"
#include "kernels/reduce.h"

namespace cohort::ops {

namespace {

// Sum into a same-rank shape with 1s on reduced dims; records the backward (broadcast back).
Tensor sum_keepdim(const Tensor& t, const Shape& kept, const char* name) {
  Tensor out = Tensor::empty(kept, t.dtype(), t.device());
  COHORT_DISPATCH(t.device(), reduce_sum, view_of(t), mutable_view_of(out));
  if (autograd::needs_grad({&t}))
    autograd::record(out, name, {t}, [in_shape = t.shape()](const Tensor& g) -> std::vector<Tensor> {
      return {expand(g, in_shape)};
    });
  return out;
}

Shape kept_shape(const char* op, const Tensor& t, const std::vector<int64_t>& dims,
                 Shape* squeezed) {
  Shape kept = t.shape();
  std::vector<bool> reduce(kept.size(), false);
  for (int64_t d : dims) {
    int64_t w = wrap_dim(op, d, t.dim());
    COHORT_CHECK(!reduce[static_cast<size_t>(w)], "{}: dim {} listed twice", op, d);
    reduce[static_cast<size_t>(w)] = true;
  }
  squeezed->clear();
  for (size_t i = 0; i < kept.size(); ++i) {
    if (reduce[i]) kept[i] = 1;
    else squeezed->push_back(kept[i]);
  }
  return kept;
}

}  // namespace

Tensor sum(const Tensor& t) {
  check_defined("sum", t, "input");
  check_floating("sum", t);
  Shape ones(t.shape().size(), 1);
  return reshape(sum_keepdim(t, ones, "sum"), Shape{});
}

Tensor sum(const Tensor& t, const std::vector<int64_t>& dims, bool keepdim) {
  check_defined("sum", t, "input");
  check_floating("sum", t);
  Shape squeezed;
  Shape kept = kept_shape("sum", t, dims, &squeezed);
  Tensor out = sum_keepdim(t, kept, "sum");
  return keepdim ? out : reshape(out, squeezed);
}

Tensor mean(const Tensor& t) {
  check_defined("mean", t, "input");
  check_floating("mean", t);
  COHORT_CHECK(t.numel() > 0, "mean: empty tensor");
  return mul(sum(t), 1.0 / static_cast<double>(t.numel()));
}

Tensor mean(const Tensor& t, const std::vector<int64_t>& dims, bool keepdim) {
  check_defined("mean", t, "input");
  check_floating("mean", t);
  Shape squeezed;
  kept_shape("mean", t, dims, &squeezed);  // validates dims with errors naming mean, not sum
  Tensor s = sum(t, dims, keepdim);
  COHORT_CHECK(s.numel() > 0 && t.numel() > 0, "mean: empty tensor");
  return mul(s, static_cast<double>(s.numel()) / static_cast<double>(t.numel()));
}

Tensor sum_to(const Tensor& t, const Shape& shape) {
  if (t.shape() == shape) return t;
  COHORT_CHECK(shape.size() <= t.shape().size(), "sum_to: cannot reduce {} to {}",
               shape_str(t.shape()), shape_str(shape));
  // Align `shape` to the right, then reduce every dim where it has 1 (or is missing).
  size_t lead = t.shape().size() - shape.size();
  Shape kept(t.shape().size(), 1);
  for (size_t i = 0; i < shape.size(); ++i) {
    int64_t want = shape[i], have = t.shape()[lead + i];
    COHORT_CHECK(want == have || want == 1, "sum_to: cannot reduce {} to {}", shape_str(t.shape()),
                 shape_str(shape));
    kept[lead + i] = want;
  }
  return reshape(sum_keepdim(t, kept, "sum_to"), shape);
}

Tensor argmax(const Tensor& t) {
  check_defined("argmax", t, "input");
  check_floating("argmax", t);
  COHORT_CHECK(t.dim() >= 1 && t.size(-1) > 0, "argmax: needs a non-empty last dim, got shape {}",
               shape_str(t.shape()));
  Shape out_shape(t.shape().begin(), t.shape().end() - 1);
  Tensor out = Tensor::empty(out_shape, DType::i64, t.device());
  COHORT_DISPATCH(t.device(), argmax_lastdim, view_of(t), mutable_view_of(out));
  return out;
}

}  // namespace cohort::ops
