// CUDA parity of the matrix products (cuBLAS): gemm with every transpose combination, alpha,
// batched 3-D operands, degenerate sizes; matmul and linear; forward and backward.
#include <catch2/catch.hpp>

#include <vector>

#include "core/ops/linalg.h"
#include "tests/cuda/parity.h"

using namespace cohort;
using test::check_parity;
using test::kGpu;
using test::Tol;

namespace {

const DType kFloatTypes[] = {DType::f32, DType::f64};

// Inner products of up to ~300 terms in a different order (cuBLAS tiles vs Eigen's blocking).
Tol gemm_tol(DType t) { return t == DType::f64 ? Tol{1e-12, 1e-11} : Tol{2e-5, 1e-4}; }

Tensor leaf(const Shape& s, DType t, uint64_t seed) { return test::randn(s, t, seed).requires_grad_(); }

// The stored shape of op(X) = [rows, cols] when X is transposed or not (with an optional batch).
Shape stored(int64_t batch, int64_t rows, int64_t cols, bool trans) {
  Shape s = trans ? Shape{cols, rows} : Shape{rows, cols};
  if (batch > 0) s.insert(s.begin(), batch);
  return s;
}

}  // namespace

TEST_CASE("CUDA gemm with transposes, alpha and batches matches the CPU", "[cuda][linalg]") {
  struct Dims {
    int64_t m, k, n;
  };
  const Dims dims[] = {{1, 1, 1}, {7, 13, 5}, {64, 64, 64}, {129, 65, 257}, {1, 300, 10}, {300, 1, 3}};
  test::Tf32Guard fp32(true, false);  // matmul TF32 off (the default, stated)
  for (DType dtype : kFloatTypes) {
    for (const Dims& d : dims) {
      for (int64_t batch : {int64_t{0}, int64_t{3}}) {
        for (bool ta : {false, true}) {
          for (bool tb : {false, true}) {
            INFO(dtype_name(dtype) << " m " << d.m << " k " << d.k << " n " << d.n << " batch " << batch
                                   << " trans_a " << ta << " trans_b " << tb);
            Tensor a = leaf(stored(batch, d.m, d.k, ta), dtype, 1);
            Tensor b = leaf(stored(batch, d.k, d.n, tb), dtype, 2);
            check_parity([ta, tb](const std::vector<Tensor>& v) { return ops::gemm(v[0], ta, v[1], tb, 0.5); },
                         {a, b}, gemm_tol(dtype));
          }
        }
      }
    }
  }
}

TEST_CASE("CUDA gemm with an empty inner or outer dim matches the CPU", "[cuda][linalg]") {
  for (DType dtype : kFloatTypes) {
    INFO(dtype_name(dtype));
    // k = 0: the product is all zeros (outputs are poisoned first, so they must be written).
    Tensor a = Tensor::empty({4, 0}, dtype), b = Tensor::empty({0, 3}, dtype);
    Tensor c = ops::matmul(a.to(kGpu), b.to(kGpu));
    REQUIRE(c.shape() == Shape{4, 3});
    REQUIRE(c.to_vector<double>() == std::vector<double>(12, 0.0));
    REQUIRE(ops::matmul(Tensor::empty({0, 5}, dtype, kGpu), Tensor::ones({5, 2}, dtype, kGpu)).shape() ==
            Shape{0, 2});
    Tensor bc = ops::matmul(Tensor::empty({2, 3, 0}, dtype, kGpu), Tensor::empty({2, 0, 4}, dtype, kGpu));
    REQUIRE(bc.to_vector<double>() == std::vector<double>(24, 0.0));
  }
}

TEST_CASE("CUDA matmul and linear match the CPU, forward and backward", "[cuda][linalg]") {
  for (DType dtype : kFloatTypes) {
    INFO(dtype_name(dtype));
    check_parity([](const std::vector<Tensor>& v) { return ops::matmul(v[0], v[1]); },
                 {leaf({33, 70}, dtype, 3), leaf({70, 17}, dtype, 4)}, gemm_tol(dtype));
    check_parity([](const std::vector<Tensor>& v) { return ops::matmul(v[0], v[1]); },
                 {leaf({5, 33, 70}, dtype, 5), leaf({5, 70, 17}, dtype, 6)}, gemm_tol(dtype));
    // linear: x [N, in] · Wᵀ + b, the classifier of every model.
    check_parity([](const std::vector<Tensor>& v) { return ops::linear(v[0], v[1], v[2]); },
                 {leaf({128, 64}, dtype, 7), leaf({10, 64}, dtype, 8), leaf({10}, dtype, 9)},
                 gemm_tol(dtype));
    check_parity([](const std::vector<Tensor>& v) { return ops::linear(v[0], v[1]); },
                 {leaf({3, 512}, dtype, 10), leaf({100, 512}, dtype, 11)}, gemm_tol(dtype));
    // Only one operand requires a gradient.
    check_parity([](const std::vector<Tensor>& v) { return ops::matmul(v[0], v[1]); },
                 {test::randn({9, 8}, dtype, 12), leaf({8, 7}, dtype, 13)}, gemm_tol(dtype));
  }
}
