// NaN propagates on the GPU exactly as on the CPU (tests/ops/test_nan_propagation.cpp): relu,
// maximum, max-pool, argmax, softmax and the loss kernels keep a NaN visible.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <vector>

#include "core/ops/elementwise.h"
#include "core/ops/losses.h"
#include "core/ops/nn.h"
#include "core/ops/reduce.h"
#include "tests/cuda/parity.h"

using namespace cohort;
using test::kGpu;

namespace {

// Random values with NaN at every 7th element.
Tensor with_nans(const Shape& s, DType dtype, uint64_t seed) {
  std::vector<double> v = test::randn(s, DType::f64, seed).to_vector<double>();
  for (size_t i = 3; i < v.size(); i += 7) v[i] = std::numeric_limits<double>::quiet_NaN();
  return Tensor::from_vector(v, s).to(dtype);
}

// Same values, NaN at the same places (NaN != NaN, so compare the pattern and the numbers).
void require_same_with_nans(const Tensor& gpu, const Tensor& cpu) {
  std::vector<double> a = gpu.to(Device::cpu()).to_vector<double>(), b = cpu.to_vector<double>();
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    INFO("element " << i << ": gpu " << a[i] << ", cpu " << b[i]);
    REQUIRE(std::isnan(a[i]) == std::isnan(b[i]));
    if (!std::isnan(b[i])) REQUIRE(std::abs(a[i] - b[i]) <= 1e-5 * (1 + std::abs(b[i])));
  }
}

}  // namespace

TEST_CASE("CUDA relu, maximum, max-pool, softmax and cross-entropy propagate NaN as the CPU", "[cuda][nan]") {
  for (DType dtype : {DType::f32, DType::f64}) {
    INFO(dtype_name(dtype));
    Tensor x = with_nans({2, 3, 8, 8}, dtype, 1), y = with_nans({2, 3, 8, 8}, dtype, 2);
    require_same_with_nans(ops::relu(x.to(kGpu)), ops::relu(x));
    require_same_with_nans(ops::maximum(x.to(kGpu), y.to(kGpu)), ops::maximum(x, y));
    Pool2dParams p;
    p.kernel_h = p.kernel_w = 2;
    p.stride_h = p.stride_w = 2;
    require_same_with_nans(ops::max_pool2d(x.to(kGpu), p), ops::max_pool2d(x, p));
    Tensor z = with_nans({9, 40}, dtype, 3);
    require_same_with_nans(ops::softmax(z.to(kGpu)), ops::softmax(z));
    Tensor labels = Tensor::from_vector(std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8}, {9});
    REQUIRE(std::isnan(ops::cross_entropy(z.to(kGpu), labels.to(kGpu)).item()));
  }
}

TEST_CASE("CUDA argmax takes the first NaN as the maximum, as the CPU", "[cuda][nan]") {
  for (DType dtype : {DType::f32, DType::f64}) {
    for (const Shape& s : {Shape{5, 1}, Shape{37, 7}, Shape{64, 1000}}) {
      INFO(dtype_name(dtype) << " " << shape_str(s));
      Tensor x = with_nans(s, dtype, 4);
      REQUIRE(ops::argmax(x.to(kGpu)).to_vector<int64_t>() == ops::argmax(x).to_vector<int64_t>());
    }
  }
}
