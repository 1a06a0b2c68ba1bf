#include "core/ops/check.h"

#include <algorithm>

namespace cohort::ops {

void check_defined(std::string_view op, const Tensor& t, std::string_view arg) {
  COHORT_CHECK(t.defined(), "{}: argument '{}' is an undefined tensor", op, arg);
}

void check_same_device(std::string_view op, const Tensor& a, const Tensor& b) {
  COHORT_CHECK(a.device() == b.device(),
               "{}: tensors are on different devices ({} with shape {} and {} with shape {}); "
               "move one with .to(device)",
               op, a.device().str(), shape_str(a.shape()), b.device().str(), shape_str(b.shape()));
}

void check_same_dtype(std::string_view op, const Tensor& a, const Tensor& b) {
  COHORT_CHECK(a.dtype() == b.dtype(), "{}: dtypes differ ({} with shape {} and {} with shape {})",
               op, dtype_name(a.dtype()), shape_str(a.shape()), dtype_name(b.dtype()),
               shape_str(b.shape()));
}

void check_floating(std::string_view op, const Tensor& t) {
  COHORT_CHECK(is_floating(t.dtype()), "{}: expected a floating tensor (f32/f64), got {} with shape {}",
               op, dtype_name(t.dtype()), shape_str(t.shape()));
}

void check_dim(std::string_view op, const Tensor& t, int64_t dim, std::string_view arg) {
  COHORT_CHECK(t.dim() == dim, "{}: '{}' must have {} dims, got shape {}", op, arg, dim,
               shape_str(t.shape()));
}

Shape broadcast_shapes(std::string_view op, const Shape& a, const Shape& b) {
  size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    COHORT_CHECK(da == db || da == 1 || db == 1, "{}: shapes {} and {} cannot be broadcast", op,
                 shape_str(a), shape_str(b));
    out[i] = da == 1 ? db : da;
  }
  return out;
}

int64_t wrap_dim(std::string_view op, int64_t dim, int64_t ndim) {
  int64_t d = dim < 0 ? dim + ndim : dim;
  COHORT_CHECK(d >= 0 && d < std::max<int64_t>(ndim, 1), "{}: dim {} out of range for {} dims", op,
               dim, ndim);
  return d;
}

}  // namespace cohort::ops
