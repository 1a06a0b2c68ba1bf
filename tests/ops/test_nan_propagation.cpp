// NaN propagates through every op, as in PyTorch: an op that turned a NaN into a number would
// hide a broken weight or activation from the trainer's non-finite-loss guard.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <vector>

#include "core/ops/elementwise.h"
#include "core/ops/losses.h"
#include "core/ops/nn.h"
#include "core/ops/reduce.h"
#include "distill/metrics.h"

using namespace cohort;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Tensor vec(std::vector<double> v, Shape s) { return Tensor::from_vector(v, s); }

}  // namespace

TEST_CASE("relu keeps NaN and passes the gradient through it, as PyTorch", "[ops][nan]") {
  for (DType dtype : {DType::f32, DType::f64}) {
    INFO(dtype_name(dtype));
    Tensor x = vec({-1.0, kNaN, 2.0, 0.0}, {4}).to(dtype).requires_grad_();
    std::vector<double> y = ops::relu(x).to_vector<double>();
    REQUIRE(y[0] == 0.0);
    REQUIRE(std::isnan(y[1]));
    REQUIRE(y[2] == 2.0);
    REQUIRE(y[3] == 0.0);
    ops::sum(ops::relu(x)).backward();
    REQUIRE(x.grad().to_vector<double>() == std::vector<double>{0.0, 1.0, 1.0, 0.0});
  }
}

TEST_CASE("maximum returns NaN when either side is NaN", "[ops][nan]") {
  Tensor a = vec({kNaN, 1.0, 3.0, kNaN}, {4}), b = vec({1.0, kNaN, 2.0, kNaN}, {4});
  std::vector<double> y = ops::maximum(a, b).to_vector<double>();
  REQUIRE(std::isnan(y[0]));
  REQUIRE(std::isnan(y[1]));
  REQUIRE(y[2] == 3.0);
  REQUIRE(std::isnan(y[3]));
}

TEST_CASE("max_pool2d picks a NaN in its window", "[ops][nan]") {
  Pool2dParams p;
  p.kernel_h = p.kernel_w = 2;
  p.stride_h = p.stride_w = 2;
  Tensor x = vec({1, kNaN, 5, 6,  //
                  3, 4, 7, 8},
                 {1, 1, 2, 4});
  std::vector<double> y = ops::max_pool2d(x, p).to_vector<double>();
  REQUIRE(std::isnan(y[0]));
  REQUIRE(y[1] == 8.0);
}

TEST_CASE("argmax takes the first NaN as the maximum, as PyTorch", "[ops][nan]") {
  Tensor x = vec({1, 9, kNaN, 3, kNaN,  //
                  kNaN, 9, 2, 3, 4,     //
                  1, 9, 2, 9, 4},
                 {3, 5});
  REQUIRE(ops::argmax(x).to_vector<int64_t>() == std::vector<int64_t>{2, 0, 1});
}

TEST_CASE("softmax, log_softmax, sum and cross-entropy of a NaN row are NaN", "[ops][nan]") {
  Tensor z = vec({0.5, kNaN, 1.0, 0.0, 1.0, 2.0}, {2, 3});
  std::vector<double> p = ops::softmax(z).to_vector<double>();
  for (int c = 0; c < 3; ++c) REQUIRE(std::isnan(p[static_cast<size_t>(c)]));
  REQUIRE_FALSE(std::isnan(p[3]));
  REQUIRE(std::isnan(ops::log_softmax(z).to_vector<double>()[0]));
  REQUIRE(std::isnan(ops::sum(z).item()));
  REQUIRE(std::isnan(ops::cross_entropy(z, Tensor::from_vector(std::vector<int64_t>{0, 1}, {2})).item()));
}

TEST_CASE("top-k accuracy never counts a row with NaN logits as correct", "[ops][nan]") {
  // Row 0: the label's logit is NaN. Row 1: another class is NaN (ranks above every number, as in
  // PyTorch's topk), so the label is second. Row 2: finite and correct.
  Tensor z = vec({kNaN, kNaN, kNaN,  //
                  1.0, kNaN, 0.0,    //
                  0.0, 3.0, 1.0},
                 {3, 3});
  Tensor y = Tensor::from_vector(std::vector<int64_t>{0, 0, 1}, {3});
  REQUIRE(distill::count_topk_correct(z, y, 1) == 1);
  REQUIRE(distill::count_topk_correct(z, y, 2) == 2);
}
