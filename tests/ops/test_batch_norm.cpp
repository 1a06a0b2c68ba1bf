#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/autograd.h"
#include "core/ops/elementwise.h"
#include "core/ops/nn.h"
#include "core/ops/reduce.h"
#include "core/random.h"
#include "tests/support/gradcheck.h"
#include "tests/support/tolerance.h"

using namespace cohort;
using test::randn64;

TEST_CASE("batch_norm2d training: output and running statistics by hand", "[ops][batch_norm]") {
  // One channel with values 1, 2, 3, 4 over (N=2, W=2): mean 2.5, biased var 1.25, unbiased 5/3.
  Tensor x = Tensor::from_vector(std::vector<double>{1, 2, 3, 4}, {2, 1, 1, 2});
  Tensor w = Tensor::from_vector(std::vector<double>{2.0}, {1});
  Tensor b = Tensor::from_vector(std::vector<double>{0.5}, {1});
  Tensor rm = Tensor::zeros({1}, DType::f64), rv = Tensor::ones({1}, DType::f64);
  const double eps = 1e-5;
  Tensor y = ops::batch_norm2d(x, w, b, rm, rv, true, 0.1, eps);
  const double inv = 1.0 / std::sqrt(1.25 + eps);
  std::vector<double> expect;
  for (double v : {1.0, 2.0, 3.0, 4.0}) expect.push_back((v - 2.5) * inv * 2.0 + 0.5);
  REQUIRE_CLOSE(y, Tensor::from_vector(expect, {2, 1, 1, 2}), 1e-12, 1e-12);
  REQUIRE(rm.item() == Approx(0.1 * 2.5).epsilon(1e-14));
  REQUIRE(rv.item() == Approx(0.9 * 1.0 + 0.1 * 5.0 / 3.0).epsilon(1e-14));
  // A second step moves the running stats again with the same rule.
  ops::batch_norm2d(x, w, b, rm, rv, true, 0.1, eps);
  REQUIRE(rm.item() == Approx(0.9 * 0.25 + 0.1 * 2.5).epsilon(1e-14));
}

TEST_CASE("batch_norm2d eval normalises with the running statistics", "[ops][batch_norm]") {
  Tensor x = Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8}, {1, 2, 2, 2});
  Tensor rm = Tensor::from_vector(std::vector<float>{1, 2}, {2});
  Tensor rv = Tensor::from_vector(std::vector<float>{4, 0.25f}, {2});
  Tensor w = Tensor::from_vector(std::vector<float>{1, 3}, {2});
  Tensor b = Tensor::from_vector(std::vector<float>{0, -1}, {2});
  Tensor y = ops::batch_norm2d(x, w, b, rm, rv, false, 0.1, 1e-5);
  std::vector<float> got = y.to_vector<float>();
  const double s0 = 1 / std::sqrt(4 + 1e-5), s1 = 1 / std::sqrt(0.25 + 1e-5);
  std::vector<double> expect{(1 - 1) * s0, (2 - 1) * s0, (3 - 1) * s0, (4 - 1) * s0,
                             (5 - 2) * s1 * 3 - 1, (6 - 2) * s1 * 3 - 1, (7 - 2) * s1 * 3 - 1,
                             (8 - 2) * s1 * 3 - 1};
  REQUIRE_CLOSE(y, Tensor::from_vector(expect, {1, 2, 2, 2}).to(DType::f32), 1e-5, 1e-5);
  // Eval leaves the running statistics alone.
  REQUIRE(rm.to_vector<float>() == std::vector<float>{1, 2});
  REQUIRE(rv.to_vector<float>() == std::vector<float>{4, 0.25f});
}

TEST_CASE("batch_norm2d training gradients pass the f64 gradient check", "[ops][batch_norm]") {
  Tensor x = randn64({3, 4, 3, 2}, 1), w = randn64({4}, 2), b = randn64({4}, 3);
  Tensor rm = Tensor::zeros({4}, DType::f64), rv = Tensor::ones({4}, DType::f64);
  test::gradcheck(
      [&](const std::vector<Tensor>& in) {
        return ops::batch_norm2d(in[0], in[1], in[2], rm, rv, true, 0.1, 1e-5);
      },
      {x, w, b});
  // Without affine parameters and without running statistics.
  Tensor x2 = randn64({2, 3, 2, 2}, 4);
  test::gradcheck(
      [](const std::vector<Tensor>& in) {
        return ops::batch_norm2d(in[0], Tensor(), Tensor(), Tensor(), Tensor(), true);
      },
      {x2});
}

TEST_CASE("batch_norm2d eval gradients pass the f64 gradient check", "[ops][batch_norm]") {
  Tensor x = randn64({2, 3, 3, 3}, 5), w = randn64({3}, 6), b = randn64({3}, 7);
  Tensor rm = randn64({3}, 8, false), rv = ops::add(ops::mul(randn64({3}, 9, false), randn64({3}, 9, false)), 0.5);
  test::gradcheck(
      [&](const std::vector<Tensor>& in) {
        return ops::batch_norm2d(in[0], in[1], in[2], rm, rv, false, 0.1, 1e-5);
      },
      {x, w, b});
}

TEST_CASE("batch_norm2d f32 agrees with f64 (train and eval)", "[ops][batch_norm]") {
  Tensor x = randn64({4, 3, 5, 5}, 11), w = randn64({3}, 12), b = randn64({3}, 13);
  test::check_dtype_agreement(
      [](const std::vector<Tensor>& in) {
        return ops::batch_norm2d(in[0], in[1], in[2], Tensor(), Tensor(), true);
      },
      {x, w, b});
  test::check_dtype_agreement(
      [](const std::vector<Tensor>& in) {
        Tensor rm = Tensor::full({3}, 0.25, in[0].dtype()), rv = Tensor::full({3}, 2.0, in[0].dtype());
        return ops::batch_norm2d(in[0], in[1], in[2], rm, rv, false);
      },
      {x, w, b});
}

TEST_CASE("batch_norm2d running statistics agree between f32 and f64 on a large batch", "[ops][batch_norm]") {
  // Large M with an offset mean stresses the f32 statistics path.
  Generator gen(17);
  Tensor x = ops::add(Tensor::randn({16, 2, 16, 16}, gen, DType::f64), 3.0);
  Tensor rm64 = Tensor::zeros({2}, DType::f64), rv64 = Tensor::ones({2}, DType::f64);
  Tensor rm32 = Tensor::zeros({2}), rv32 = Tensor::ones({2});
  ops::batch_norm2d(x, Tensor(), Tensor(), rm64, rv64, true, 0.3);
  ops::batch_norm2d(x.to(DType::f32), Tensor(), Tensor(), rm32, rv32, true, 0.3);
  REQUIRE_CLOSE(rm32, rm64, 1e-6, 1e-5);
  REQUIRE_CLOSE(rv32, rv64, 1e-6, 1e-5);
}

TEST_CASE("batch_norm2d argument errors name the op and the shapes", "[ops][batch_norm]") {
  Tensor x = Tensor::zeros({2, 3, 4, 4});
  Tensor c3 = Tensor::zeros({3}), c4 = Tensor::zeros({4});
  REQUIRE_THROWS_WITH(ops::batch_norm2d(Tensor::zeros({2, 3}), c3, c3, c3, c3, true),
                      Catch::Contains("batch_norm2d") && Catch::Contains("[2, 3]"));
  REQUIRE_THROWS_WITH(ops::batch_norm2d(x, c4, c3, c3, c3, true),
                      Catch::Contains("batch_norm2d") && Catch::Contains("weight") &&
                          Catch::Contains("[4]") && Catch::Contains("[2, 3, 4, 4]"));
  REQUIRE_THROWS_WITH(ops::batch_norm2d(x, c3, c3, c4, c3, true),
                      Catch::Contains("batch_norm2d") && Catch::Contains("running_mean"));
  REQUIRE_THROWS_WITH(ops::batch_norm2d(x, c3, c3, Tensor(), Tensor(), false),
                      Catch::Contains("batch_norm2d") && Catch::Contains("eval"));
  REQUIRE_THROWS_WITH(ops::batch_norm2d(x, Tensor::zeros({3}, DType::f64), c3, c3, c3, true),
                      Catch::Contains("batch_norm2d") && Catch::Contains("f64"));
  REQUIRE_THROWS_WITH(ops::batch_norm2d(Tensor::zeros({1, 3, 1, 1}), c3, c3, c3, c3, true),
                      Catch::Contains("batch_norm2d") && Catch::Contains("more than 1 value"));
}

// ---- batch_norm2d_relu: the fused form must give exactly what relu(batch_norm2d(...)) gives ----

namespace {

struct BnRun {
  Tensor y, gx, gw, gb, rm, rv;
};

// One training (or eval) forward and backward of the fused or the two-op form on fresh copies.
BnRun run_bn(bool fused, bool training, const Tensor& x0, const Tensor& w0, const Tensor& b0,
             const Tensor& rm0, const Tensor& rv0, const Tensor& grad) {
  BnRun r;
  Tensor x = x0.clone().requires_grad_(), w = w0.clone().requires_grad_(), b = b0.clone().requires_grad_();
  r.rm = rm0.clone();
  r.rv = rv0.clone();
  r.y = fused ? ops::batch_norm2d_relu(x, w, b, r.rm, r.rv, training)
              : ops::relu(ops::batch_norm2d(x, w, b, r.rm, r.rv, training));
  ops::sum(ops::mul(r.y, grad)).backward();
  r.gx = x.grad();
  r.gw = w.grad();
  r.gb = b.grad();
  return r;
}

}  // namespace

TEST_CASE("batch_norm2d_relu equals relu(batch_norm2d) bit for bit, forward, backward, running stats",
          "[ops][batch_norm]") {
  Generator gen(41);
  for (bool training : {true, false}) {
    INFO((training ? "training" : "eval"));
    // 16 channels of 8x8 over a batch of 4: values both sides of zero after normalisation.
    Tensor x = Tensor::randn({4, 16, 8, 8}, gen), w = Tensor::randn({16}, gen), b = Tensor::randn({16}, gen);
    Tensor rm = Tensor::randn({16}, gen), rv = ops::add(ops::abs(Tensor::randn({16}, gen)), 0.5);
    Tensor grad = Tensor::randn({4, 16, 8, 8}, gen);
    const BnRun fused = run_bn(true, training, x, w, b, rm, rv, grad);
    const BnRun plain = run_bn(false, training, x, w, b, rm, rv, grad);
    REQUIRE_CLOSE(fused.y, plain.y, 0, 0);
    REQUIRE_CLOSE(fused.gx, plain.gx, 0, 0);
    REQUIRE_CLOSE(fused.gw, plain.gw, 0, 0);
    REQUIRE_CLOSE(fused.gb, plain.gb, 0, 0);
    REQUIRE_CLOSE(fused.rm, plain.rm, 0, 0);
    REQUIRE_CLOSE(fused.rv, plain.rv, 0, 0);
    // The ReLU really cut something: some outputs are zero, some gradients were masked.
    const std::vector<float> y = fused.y.to_vector<float>();
    REQUIRE(std::count(y.begin(), y.end(), 0.0f) > 100);
  }
  // Without a graph, eval takes the fused kernel too.
  NoGradGuard no_grad;
  Tensor x = Tensor::randn({2, 3, 4, 4}, gen), rm = Tensor::randn({3}, gen), rv = Tensor::ones({3});
  REQUIRE_CLOSE(ops::batch_norm2d_relu(x, Tensor(), Tensor(), rm, rv, false),
                ops::relu(ops::batch_norm2d(x, Tensor(), Tensor(), rm, rv, false)), 0, 0);
}

TEST_CASE("batch_norm2d_relu gradients pass the f64 gradient check", "[ops][batch_norm]") {
  Tensor x = randn64({3, 4, 3, 2}, 42), w = randn64({4}, 43), b = randn64({4}, 44);
  Tensor rm = Tensor::zeros({4}, DType::f64), rv = Tensor::ones({4}, DType::f64);
  for (bool training : {true, false}) {
    INFO((training ? "training" : "eval"));
    test::gradcheck(
        [&](const std::vector<Tensor>& in) {
          return ops::batch_norm2d_relu(in[0], in[1], in[2], rm, rv, training, 0.1, 1e-5);
        },
        {x, w, b});
  }
}
