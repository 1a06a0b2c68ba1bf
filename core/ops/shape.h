// Shape and copy op front-ends. reshape/flatten/slice are views (shared storage); the rest copy.
#pragma once

#include <vector>

#include "core/tensor.h"

namespace cohort::ops {

Tensor reshape(const Tensor& t, const Shape& shape);  // one -1 is inferred
Tensor flatten(const Tensor& t, int64_t start_dim = 0, int64_t end_dim = -1);
Tensor slice(const Tensor& t, int64_t start, int64_t end);  // rows [start, end) along dim 0
Tensor to_dtype(const Tensor& t, DType dtype);
Tensor to_device(const Tensor& t, Device device);
Tensor clone(const Tensor& t);
// Copy of t broadcast to `shape` (numpy rules); backward sums back (sum_to).
Tensor expand(const Tensor& t, const Shape& shape);
// Copy of a 2-D tensor's transpose.
Tensor transpose2d(const Tensor& t);
// Copies between the two activation layouts: [N,C,H,W] -> [N,H,W,C] (channels last, NHWC) and
// back. Each one's backward is the other.
Tensor to_channels_last(const Tensor& x);
Tensor to_channels_first(const Tensor& x);
// Stacks equally-shaped tensors along a new dim 0.
Tensor stack(const std::vector<Tensor>& tensors);

}  // namespace cohort::ops
