// Tensor -> view at the kernel call (kernels/common/view.h). The op front-ends (core/ops/*,
// core/tensor.cpp, core/random.cpp, optim/*) pass views, never Tensors, to the kernels; the Tensor
// they come from must stay alive for the call, which it does as the caller's argument or local.
// An undefined Tensor gives an undefined view (an absent optional argument).
#pragma once

#include <vector>

#include "core/tensor.h"
#include "kernels/common/view.h"

namespace cohort {

namespace detail {
// The shape as a view holds it; a rank above kMaxViewRank is an error naming the shape.
inline Dims view_dims(const Tensor& t) {
  COHORT_CHECK(t.dim() <= kMaxViewRank, "kernel call: a tensor of shape {} has rank {}; the kernels take at most {}",
               shape_str(t.shape()), t.dim(), kMaxViewRank);
  return Dims(t.shape());
}
}  // namespace detail

// Read-only view of t's elements.
inline ConstView view_of(const Tensor& t) {
  if (!t.defined()) return {};
  return ConstView(t.raw_data(), t.dtype(), t.device(), detail::view_dims(t));
}

// Writable view of t's elements (a Tensor is a handle: a const one still owns writable data).
inline View mutable_view_of(const Tensor& t) {
  if (!t.defined()) return {};
  return View(t.raw_data(), t.dtype(), t.device(), detail::view_dims(t));
}

// Writable 1-D view of t's elements, for kernels that read only numel() (fills, random fills):
// factories such as Tensor::zeros then work at any rank, not only up to kMaxViewRank.
inline View flat_view_of(const Tensor& t) {
  if (!t.defined()) return {};
  return View(t.raw_data(), t.dtype(), t.device(), Dims(Shape{t.numel()}));
}

inline std::vector<ConstView> views_of(const std::vector<Tensor>& ts) {
  std::vector<ConstView> v;
  v.reserve(ts.size());
  for (const Tensor& t : ts) v.push_back(view_of(t));
  return v;
}

inline std::vector<View> mutable_views_of(const std::vector<Tensor>& ts) {
  std::vector<View> v;
  v.reserve(ts.size());
  for (const Tensor& t : ts) v.push_back(mutable_view_of(t));
  return v;
}

}  // namespace cohort
