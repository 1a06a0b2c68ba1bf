#include "core/ops/shape.h"

#include "core/autograd.h"
#include "core/backend.h"
#include "core/kernel_views.h"
#include "core/ops/check.h"
#include "core/ops/reduce.h"
#include "kernels/elementwise.h"
#include "kernels/linalg.h"

namespace cohort::ops {

namespace {
// A new handle sharing t's storage with another shape/offset (no autograd history).
Tensor make_view(const Tensor& t, const Shape& shape, int64_t extra_offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = t.impl().storage;
  impl->shape = shape;
  impl->dtype = t.dtype();
  impl->offset = t.impl().offset + extra_offset;
  return Tensor(std::move(impl));
}
}  // namespace

Tensor reshape(const Tensor& t, const Shape& shape) {
  check_defined("reshape", t, "input");
  Shape resolved = shape;
  int64_t known = 1, infer_at = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      COHORT_CHECK(infer_at < 0, "reshape: more than one -1 in {}", shape_str(shape));
      infer_at = static_cast<int64_t>(i);
    } else {
      COHORT_CHECK(shape[i] >= 0, "reshape: bad dimension in {}", shape_str(shape));
      known *= shape[i];
    }
  }
  if (infer_at >= 0) {
    COHORT_CHECK(known > 0 && t.numel() % known == 0, "reshape: cannot reshape {} into {}",
                 shape_str(t.shape()), shape_str(shape));
    resolved[static_cast<size_t>(infer_at)] = t.numel() / known;
  }
  COHORT_CHECK(shape_numel(resolved) == t.numel(), "reshape: cannot reshape {} ({} elements) into {}",
               shape_str(t.shape()), t.numel(), shape_str(shape));
  Tensor out = make_view(t, resolved, 0);
  if (autograd::needs_grad({&t}))
    autograd::record(out, "reshape", {t}, [in_shape = t.shape()](const Tensor& g) -> std::vector<Tensor> {
      return {reshape(g, in_shape)};
    });
  return out;
}

Tensor flatten(const Tensor& t, int64_t start_dim, int64_t end_dim) {
  check_defined("flatten", t, "input");
  if (t.dim() == 0) return reshape(t, {1});
  int64_t s = wrap_dim("flatten", start_dim, t.dim()), e = wrap_dim("flatten", end_dim, t.dim());
  COHORT_CHECK(s <= e, "flatten: start_dim {} > end_dim {}", start_dim, end_dim);
  Shape out;
  for (int64_t i = 0; i < s; ++i) out.push_back(t.size(i));
  int64_t merged = 1;
  for (int64_t i = s; i <= e; ++i) merged *= t.size(i);
  out.push_back(merged);
  for (int64_t i = e + 1; i < t.dim(); ++i) out.push_back(t.size(i));
  return reshape(t, out);
}

Tensor slice(const Tensor& t, int64_t start, int64_t end) {
  check_defined("slice", t, "input");
  COHORT_CHECK(t.dim() >= 1, "slice: needs at least 1 dim, got a scalar");
  int64_t n = t.size(0);
  COHORT_CHECK(0 <= start && start <= end && end <= n, "slice: rows [{}, {}) out of range for shape {}",
               start, end, shape_str(t.shape()));
  Shape shape = t.shape();
  shape[0] = end - start;
  int64_t row = t.numel() / std::max<int64_t>(n, 1);
  Tensor out = make_view(t, shape, start * row);
  if (autograd::needs_grad({&t}))
    autograd::record(out, "slice", {t}, [in = t.detach(), start, end](const Tensor& g) -> std::vector<Tensor> {
      Tensor gi = Tensor::zeros(in.shape(), in.dtype(), in.device());
      Tensor part = gi.slice(start, end);  // grad mode is off inside backward: a plain view
      part.copy_(g);
      return {gi};
    });
  return out;
}

Tensor to_dtype(const Tensor& t, DType dtype) {
  check_defined("to", t, "input");
  if (t.dtype() == dtype) return t;
  Tensor out = Tensor::empty(t.shape(), dtype, t.device());
  COHORT_DISPATCH(t.device(), cast, view_of(t), mutable_view_of(out));
  if (is_floating(dtype) && autograd::needs_grad({&t}))
    autograd::record(out, "to_dtype", {t}, [from = t.dtype()](const Tensor& g) -> std::vector<Tensor> {
      return {to_dtype(g, from)};
    });
  return out;
}

Tensor to_device(const Tensor& t, Device device) {
  check_defined("to", t, "input");
  if (t.device() == device) return t;
  Tensor out = Tensor::empty(t.shape(), t.dtype(), device);
  out.copy_(t);
  if (autograd::needs_grad({&t}))
    autograd::record(out, "to_device", {t}, [from = t.device()](const Tensor& g) -> std::vector<Tensor> {
      return {to_device(g, from)};
    });
  return out;
}

Tensor clone(const Tensor& t) {
  check_defined("clone", t, "input");
  Tensor out = Tensor::empty(t.shape(), t.dtype(), t.device());
  out.copy_(t);
  if (autograd::needs_grad({&t}))
    autograd::record(out, "clone", {t}, [](const Tensor& g) -> std::vector<Tensor> { return {g}; });
  return out;
}

Tensor expand(const Tensor& t, const Shape& shape) {
  check_defined("expand", t, "input");
  COHORT_CHECK(broadcast_shapes("expand", t.shape(), shape) == shape, "expand: cannot expand {} to {}",
               shape_str(t.shape()), shape_str(shape));
  Tensor out = Tensor::empty(shape, t.dtype(), t.device());
  COHORT_DISPATCH(t.device(), broadcast_copy, view_of(t), mutable_view_of(out));
  if (autograd::needs_grad({&t}))
    autograd::record(out, "expand", {t}, [in_shape = t.shape()](const Tensor& g) -> std::vector<Tensor> {
      return {sum_to(g, in_shape)};
    });
  return out;
}

Tensor transpose2d(const Tensor& t) {
  check_defined("transpose2d", t, "input");
  check_dim("transpose2d", t, 2, "input");
  Tensor out = Tensor::empty({t.size(1), t.size(0)}, t.dtype(), t.device());
  COHORT_DISPATCH(t.device(), transpose2d, view_of(t), mutable_view_of(out));
  if (autograd::needs_grad({&t}))
    autograd::record(out, "transpose2d", {t}, [](const Tensor& g) -> std::vector<Tensor> {
      return {transpose2d(g)};
    });
  return out;
}

namespace {

// [B, R, C] -> [B, C, R] matrix by matrix, reshaped to `out_shape`; the layout conversions.
Tensor batched_transpose(const Tensor& x, int64_t rows, int64_t cols, const Shape& out_shape) {
  Tensor out = Tensor::empty(out_shape, x.dtype(), x.device());
  const int64_t batch = x.size(0);
  COHORT_DISPATCH(x.device(), transpose2d, view_of(x).reshape(Dims{batch, rows, cols}),
                  mutable_view_of(out).reshape(Dims{batch, cols, rows}));
  return out;
}

void check_activation(const char* op, const Tensor& x) {
  check_defined(op, x, "input");
  check_dim(op, x, 4, "input");
}

}  // namespace

Tensor to_channels_last(const Tensor& x) {
  check_activation("to_channels_last", x);
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  Tensor out = batched_transpose(x, C, H * W, {N, H, W, C});
  if (autograd::needs_grad({&x}))
    autograd::record(out, "to_channels_last", {x}, [](const Tensor& g) -> std::vector<Tensor> {
      return {to_channels_first(g)};
    });
  return out;
}

Tensor to_channels_first(const Tensor& x) {
  check_activation("to_channels_first", x);
  const int64_t N = x.size(0), H = x.size(1), W = x.size(2), C = x.size(3);
  Tensor out = batched_transpose(x, H * W, C, {N, C, H, W});
  if (autograd::needs_grad({&x}))
    autograd::record(out, "to_channels_first", {x}, [](const Tensor& g) -> std::vector<Tensor> {
      return {to_channels_last(g)};
    });
  return out;
}

Tensor stack(const std::vector<Tensor>& tensors) {
  COHORT_CHECK(!tensors.empty(), "stack: no tensors given");
  const Tensor& first = tensors.front();
  for (const Tensor& t : tensors) {
    check_defined("stack", t, "tensors[i]");
    check_same_device("stack", first, t);
    check_same_dtype("stack", first, t);
    COHORT_CHECK(t.shape() == first.shape(), "stack: shapes {} and {} differ",
                 shape_str(first.shape()), shape_str(t.shape()));
  }
  Shape shape = first.shape();
  shape.insert(shape.begin(), static_cast<int64_t>(tensors.size()));
  Tensor out = Tensor::empty(shape, first.dtype(), first.device());
  for (size_t i = 0; i < tensors.size(); ++i) {
    Tensor row = out.detach()[static_cast<int64_t>(i)];
    row.copy_(tensors[i]);
  }
  if (autograd::needs_grad(tensors))
    autograd::record(out, "stack", tensors, [n = tensors.size()](const Tensor& g) -> std::vector<Tensor> {
      std::vector<Tensor> grads;
      for (size_t i = 0; i < n; ++i) grads.push_back(g[static_cast<int64_t>(i)].clone());
      return grads;
    });
  return out;
}

}  // namespace cohort::ops
