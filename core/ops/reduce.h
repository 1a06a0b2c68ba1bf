// Reduction op front-ends.
#pragma once

#include <vector>

#include "core/tensor.h"

namespace cohort::ops {

Tensor sum(const Tensor& t);  // all elements -> shape []
Tensor sum(const Tensor& t, const std::vector<int64_t>& dims, bool keepdim = false);
Tensor mean(const Tensor& t);
Tensor mean(const Tensor& t, const std::vector<int64_t>& dims, bool keepdim = false);
// Sums a broadcast result back down to `shape` (the backward of broadcasting).
Tensor sum_to(const Tensor& t, const Shape& shape);
// Index of the maximum along the last dim, as i64, shape without that dim (no gradient).
Tensor argmax(const Tensor& t);

}  // namespace cohort::ops
