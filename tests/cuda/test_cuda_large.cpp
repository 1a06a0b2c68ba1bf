// Sizes the other CUDA tests never reach: above 2^24 elements (256-thread blocks × the 65536
// block cap of grid_for, kernels/cuda/launch.cuh: each thread's grid-stride loop wraps) and one
// above 2^31 (indices past INT_MAX). Checked against the CPU where a copy is affordable, and
// against exact arithmetic for the 8 GiB tensor (sums of small integers are exact in double).
#include <catch2/catch.hpp>

#include <cstdint>

#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "tests/cuda/parity.h"

using namespace cohort;
using test::kCpu;
using test::kGpu;

TEST_CASE("elementwise ops and sums past 2^24 elements wrap the grid-stride loop correctly", "[cuda][large]") {
  const int64_t n = (int64_t{1} << 24) + (int64_t{1} << 20) + 3;
  Tensor x = test::randn({n}, DType::f32, 81), b = test::randn({1}, DType::f32, 82);
  Tensor xg = x.to(kGpu), bg = b.to(kGpu);
  REQUIRE_CLOSE(ops::add(xg, bg).to(kCpu), ops::add(x, b), 0, 0);         // broadcast binary
  REQUIRE_CLOSE(ops::exp(xg).to(kCpu), ops::exp(x), 1e-6, 1e-5);          // unary
  REQUIRE_CLOSE(xg.to(DType::f64).to(kCpu), x.to(DType::f64), 0, 0);      // cast
  REQUIRE_CLOSE(ops::sum(xg).to(kCpu).to(DType::f64), ops::sum(x.to(DType::f64)), 1e-3, 1e-6);
  Tensor ones = Tensor::ones({n}, DType::f32, kGpu);                       // fill
  REQUIRE(ops::sum(ones).item() == static_cast<double>(n));
}

TEST_CASE("a tensor of more than 2^31 elements is filled, scaled and summed exactly", "[cuda][large]") {
  const int64_t n = (int64_t{1} << 31) + 7;  // 8 GiB of f32
  Tensor x = Tensor::ones({n}, DType::f32, kGpu);
  Tensor y = ops::mul(x, 2.0);
  x = Tensor();  // keep the peak at two tensors
  // Allocations are NaN-poisoned in the test runner: a missed element makes the sum NaN, a
  // doubly visited one does not change it but a wrapped index past INT_MAX would crash.
  REQUIRE(ops::sum(y).item() == 2.0 * static_cast<double>(n));
}
