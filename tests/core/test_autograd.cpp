// The autograd engine: graph shapes, accumulation, graph release, grad mode, detach.
#include <catch2/catch.hpp>
#include <vector>

#include "core/autograd.h"
#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "tests/support/gradcheck.h"
#include "tests/support/tolerance.h"

using namespace cohort;

namespace {
Tensor leaf(std::vector<double> values) {
  return Tensor::from_vector(values).requires_grad_();
}
}  // namespace

TEST_CASE("diamond graph: gradients of both paths add up", "[autograd]") {
  // y = (x·2) * (x + 1): dy/dx = 2(x + 1) + 2x = 4x + 2.
  Tensor x = leaf({1, 2, 3});
  Tensor a = ops::mul(x, 2.0), b = ops::add(x, 1.0);
  ops::sum(ops::mul(a, b)).backward();
  REQUIRE(x.grad().to_vector<double>() == std::vector<double>{6, 10, 14});
  // A node reused by two consumers further down (shared intermediate): z = h·h + h, h = exp(x).
  Tensor x2 = leaf({0.5, -1});
  Tensor h = ops::exp(x2);
  ops::sum(ops::add(ops::mul(h, h), h)).backward();
  std::vector<double> g = x2.grad().to_vector<double>();
  for (size_t i = 0; i < 2; ++i) {
    double e = std::exp(std::vector<double>{0.5, -1}[i]);
    REQUIRE(g[i] == Approx(2 * e * e + e).epsilon(1e-14));
  }
}

TEST_CASE("intermediates owned only by the graph survive the sweep", "[autograd]") {
  // No handle keeps the intermediates alive: releasing a node during the sweep drops the last
  // owner of the nodes below it. A deep chain makes that the common case.
  Tensor x = leaf({0.1, 0.2});
  Tensor y = x;
  for (int i = 0; i < 50; ++i) y = ops::tanh(ops::add(ops::mul(y, 1.01), 0.01));
  ops::sum(ops::mul(y, y)).backward();
  REQUIRE(x.grad().defined());
  for (double v : x.grad().to_vector<double>()) REQUIRE(std::isfinite(v));
  test::gradcheck(
      [](const std::vector<Tensor>& in) {
        Tensor t = in[0];
        for (int i = 0; i < 10; ++i) t = ops::tanh(ops::add(ops::mul(t, 1.01), 0.01));
        return t;
      },
      {test::randn64({4}, 1)});
}

TEST_CASE("the graph keeps only what backward functions read, not every input", "[autograd]") {
  // z = relu(x + x): add's backward needs no values and relu's reads its output, so the sum is
  // freed once nothing but the graph refers to it (the memory of a BatchNorm output feeding a
  // ReLU); a value a backward reads (mul's inputs) stays until the sweep.
  Tensor x = leaf({-1.0, 2.0});
  Tensor sum = ops::add(x, x);
  std::weak_ptr<Storage> sum_storage = sum.impl().storage;
  Tensor z = ops::relu(sum);
  sum = Tensor();
  CHECK(sum_storage.expired());
  Tensor p = ops::mul(x, 3.0);
  std::weak_ptr<Storage> p_storage = p.impl().storage;
  Tensor q = ops::mul(p, p);
  p = Tensor();
  CHECK(!p_storage.expired());
  ops::sum(ops::add(z, q)).backward();
  CHECK(p_storage.expired());  // released with the sweep
  // d/dx [relu(2x) + 9x²] = 2·[2x > 0] + 18x
  CHECK(x.grad().to_vector<double>() == std::vector<double>{-18.0, 38.0});
}

TEST_CASE("leaf gradients accumulate across backward calls", "[autograd]") {
  Tensor x = leaf({1, 2});
  ops::sum(ops::mul(x, 3.0)).backward();
  ops::sum(ops::mul(x, x)).backward();
  REQUIRE(x.grad().to_vector<double>() == std::vector<double>{3 + 2, 3 + 4});
  x.zero_grad(false);
  REQUIRE(x.grad().to_vector<double>() == std::vector<double>{0, 0});
  x.zero_grad();
  REQUIRE(!x.grad().defined());
}

TEST_CASE("a second backward through a freed graph is an error — retain_graph allows it", "[autograd]") {
  Tensor x = leaf({1, 2});
  Tensor y = ops::sum(ops::mul(x, x));
  y.backward();
  REQUIRE_THROWS_WITH(y.backward(), Catch::Contains("second time"));

  Tensor x2 = leaf({1, 2});
  Tensor y2 = ops::sum(ops::mul(x2, x2));
  y2.backward(Tensor(), /*retain_graph=*/true);
  y2.backward();
  REQUIRE(x2.grad().to_vector<double>() == std::vector<double>{4, 8});
}

TEST_CASE("NoGradGuard records nothing and restores the previous mode", "[autograd]") {
  Tensor x = leaf({1, 2});
  {
    NoGradGuard guard;
    Tensor y = ops::mul(x, x);
    REQUIRE(!y.requires_grad());
    REQUIRE(y.is_leaf());
    {
      NoGradGuard nested;
    }
    REQUIRE(!autograd::grad_enabled());
  }
  REQUIRE(autograd::grad_enabled());
  REQUIRE(ops::mul(x, x).requires_grad());
}

TEST_CASE("detach cuts the graph and shares the data", "[autograd]") {
  Tensor x = leaf({1, 2});
  Tensor y = ops::mul(x, x);
  Tensor d = y.detach();
  REQUIRE(!d.requires_grad());
  REQUIRE(d.is_leaf());
  REQUIRE(d.raw_data() == y.raw_data());
  // z = y·stop(y): the gradient flows only through the first factor: dz/dx = 2x·y.
  ops::sum(ops::mul(y, d)).backward();
  REQUIRE(x.grad().to_vector<double>() == std::vector<double>{2 * 1 * 1, 2 * 2 * 4});
}

TEST_CASE("requires_grad_ on a non-leaf is an error", "[autograd]") {
  Tensor x = leaf({1, 2});
  Tensor y = ops::mul(x, x);
  REQUIRE_THROWS_WITH(y.requires_grad_(), Catch::Contains("requires_grad_") && Catch::Contains("leaf"));
  REQUIRE_THROWS_WITH(Tensor::zeros({2}, DType::i64).requires_grad_(), Catch::Contains("i64"));
  REQUIRE_THROWS_WITH(Tensor::zeros({2}, DType::f64).backward(), Catch::Contains("backward"));
}

TEST_CASE("non-scalar outputs need an explicit seed gradient", "[autograd]") {
  Tensor x = leaf({1, 2, 3});
  Tensor y = ops::mul(x, x);
  REQUIRE_THROWS_WITH(y.backward(Tensor(), true), Catch::Contains("one-element") && Catch::Contains("[3]"));
  REQUIRE_THROWS_WITH(y.backward(Tensor::ones({2}, DType::f64), true),
                      Catch::Contains("seed") && Catch::Contains("[2]"));
  y.backward(Tensor::from_vector(std::vector<double>{1, 0, -1}));
  REQUIRE(x.grad().to_vector<double>() == std::vector<double>{2, 0, -6});
}
