// CUDA parity of the reductions: sum/mean over any dims (row, column, per-channel and full
// reductions, the split paths for few outputs), sum_to, and argmax with ties.
#include <catch2/catch.hpp>

#include <vector>

#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "tests/cuda/parity.h"

using namespace cohort;
using test::check_parity;
using test::kGpu;
using test::Tol;

namespace {

const DType kFloatTypes[] = {DType::f32, DType::f64};

// Both sides accumulate in double; f32 outputs differ only in the final rounding.
Tol sum_tol(DType t) { return t == DType::f64 ? Tol{1e-11, 1e-12} : Tol{1e-5, 1e-6}; }

Tensor leaf(const Shape& s, DType t, uint64_t seed) { return test::randn(s, t, seed).requires_grad_(); }

}  // namespace

TEST_CASE("CUDA full sums and means match the CPU", "[cuda][reduce]") {
  for (DType dtype : kFloatTypes) {
    // 1 element, a warp's worth, odd sizes, and sizes that take the split (two-kernel) path.
    for (int64_t n : {int64_t{1}, int64_t{31}, int64_t{1000}, int64_t{65537}, int64_t{(1 << 22) + 3}}) {
      INFO(dtype_name(dtype) << ", " << n << " elements");
      Tensor x = leaf({n}, dtype, 1);
      check_parity([](const std::vector<Tensor>& v) { return ops::sum(v[0]); }, {x}, sum_tol(dtype));
      check_parity([](const std::vector<Tensor>& v) { return ops::mean(v[0]); }, {x}, sum_tol(dtype));
    }
  }
  // The sum of an empty tensor is 0 on both devices.
  REQUIRE(ops::sum(Tensor::empty({0}, DType::f32, kGpu)).item() == 0.0);
}

TEST_CASE("CUDA sums and means over dims match the CPU, with and without keepdim", "[cuda][reduce]") {
  struct Case {
    Shape shape;
    std::vector<int64_t> dims;
  };
  const Case cases[] = {
      {{8, 16, 7, 9}, {0, 2, 3}},  // per-channel (BN, bias gradients of conv)
      {{8, 16, 7, 9}, {2, 3}},     // global average pooling
      {{8, 16, 7, 9}, {1}},        // a middle dim
      {{8, 16, 7, 9}, {0}},        // leading dim: inner dims kept (column sums)
      {{8, 16, 7, 9}, {3}},        // rows
      {{8, 16, 7, 9}, {0, 1, 2, 3}},
      {{8, 16, 7, 9}, {-1, 0}},
      {{4096, 10}, {0}},           // bias gradient of a linear layer: few outputs, long columns
      {{10, 4096}, {1}},
      {{3, 1, 5}, {1}},            // reducing a size-1 dim
      {{2, 3, 4, 5, 6}, {0, 2, 4}},
  };
  for (DType dtype : kFloatTypes) {
    for (const Case& c : cases) {
      for (bool keepdim : {false, true}) {
        INFO(dtype_name(dtype) << " " << shape_str(c.shape) << " over " << c.dims.size()
                               << " dims, keepdim " << keepdim);
        Tensor x = leaf(c.shape, dtype, 2);
        const std::vector<int64_t> dims = c.dims;
        check_parity([dims, keepdim](const std::vector<Tensor>& v) { return ops::sum(v[0], dims, keepdim); },
                     {x}, sum_tol(dtype));
        check_parity([dims, keepdim](const std::vector<Tensor>& v) { return ops::mean(v[0], dims, keepdim); },
                     {x}, sum_tol(dtype));
      }
    }
  }
}

TEST_CASE("CUDA sum_to (the backward of broadcasting) matches the CPU", "[cuda][reduce]") {
  for (DType dtype : kFloatTypes) {
    INFO(dtype_name(dtype));
    for (const Shape& target : {Shape{1, 16, 1, 1}, Shape{16, 1, 1}, Shape{9}, Shape{}, Shape{8, 1, 7, 1}}) {
      INFO("to " << shape_str(target));
      check_parity([target](const std::vector<Tensor>& v) { return ops::sum_to(v[0], target); },
                   {leaf({8, 16, 7, 9}, dtype, 3)}, sum_tol(dtype));
    }
  }
}

TEST_CASE("CUDA argmax picks the CPU's index, the first maximum on ties", "[cuda][reduce]") {
  for (DType dtype : kFloatTypes) {
    for (const Shape& s : {Shape{1}, Shape{5, 1}, Shape{37, 7}, Shape{64, 1000}, Shape{3, 4, 5000}}) {
      INFO(dtype_name(dtype) << " " << shape_str(s));
      // Small integers: many ties in every row.
      Generator gen(4);
      Tensor x = ops::mul(Tensor::rand(s, gen, DType::f64), 4.0).to(DType::i64).to(dtype);
      Tensor got = ops::argmax(x.to(kGpu));
      REQUIRE(got.dtype() == DType::i64);
      REQUIRE(got.device() == kGpu);
      REQUIRE(got.to_vector<int64_t>() == ops::argmax(x).to_vector<int64_t>());
      // And distinct random values.
      Tensor r = test::randn(s, dtype, 5);
      REQUIRE(ops::argmax(r.to(kGpu)).to_vector<int64_t>() == ops::argmax(r).to_vector<int64_t>());
    }
  }
}
