#include "core/random.h"

#include "core/backend.h"
#include "core/kernel_views.h"
#include "kernels/common/philox.h"
#include "kernels/elementwise.h"

namespace cohort {

uint64_t Generator::reserve(uint64_t n, DType dtype, bool normal_draw) {
  uint64_t start = offset_;
  offset_ += philox::blocks_for(n, static_cast<int>(dtype_size(dtype)), normal_draw);
  return start;
}

double Generator::uniform() {
  uint64_t start = reserve(1, DType::f64, false);
  return philox::uniform_f64(seed_, start, 0);
}

uint64_t Generator::randint(uint64_t high) {
  COHORT_CHECK(high > 0, "Generator::randint: high must be > 0");
  // Floating-point scaling: bias is < 2^-53 relative, far below what shuffling can notice.
  uint64_t r = static_cast<uint64_t>(uniform() * static_cast<double>(high));
  return r < high ? r : high - 1;
}

Tensor& uniform_(Tensor& t, Generator& gen, double low, double high) {
  COHORT_CHECK(is_floating(t.dtype()), "uniform_: dtype {} is not floating", dtype_name(t.dtype()));
  uint64_t start = gen.reserve(static_cast<uint64_t>(t.numel()), t.dtype(), false);
  COHORT_DISPATCH(t.device(), uniform_fill, flat_view_of(t), gen.seed(), start, low, high);
  return t;
}

Tensor& normal_(Tensor& t, Generator& gen, double mean, double std) {
  COHORT_CHECK(is_floating(t.dtype()), "normal_: dtype {} is not floating", dtype_name(t.dtype()));
  uint64_t start = gen.reserve(static_cast<uint64_t>(t.numel()), t.dtype(), true);
  COHORT_DISPATCH(t.device(), normal_fill, flat_view_of(t), gen.seed(), start, mean, std);
  return t;
}

Tensor bernoulli(const Shape& shape, double p, Generator& gen, DType dtype, Device device) {
  COHORT_CHECK(p >= 0.0 && p <= 1.0, "bernoulli: p must be in [0, 1], got {}", p);
  Tensor t = Tensor::empty(shape, dtype, device);
  // Always drawn from the f32 uniform stream, whatever the dtype, so masks match across dtypes.
  uint64_t start = gen.reserve(static_cast<uint64_t>(t.numel()), DType::f32, false);
  COHORT_DISPATCH(device, bernoulli_fill, flat_view_of(t), gen.seed(), start, p);
  return t;
}

}  // namespace cohort
