// The lead's elementwise, reduction and matrix ops: forward by hand, f64 gradient check,
// f32/f64 agreement and argument errors.
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "core/ops/elementwise.h"
#include "core/ops/linalg.h"
#include "core/ops/reduce.h"
#include "core/ops/shape.h"
#include "tests/support/gradcheck.h"
#include "tests/support/tolerance.h"

using namespace cohort;
using test::randn64;

namespace {
using Binary = std::function<Tensor(const Tensor&, const Tensor&)>;
struct NamedBinary {
  std::string name;
  Binary f;
};
std::vector<NamedBinary> binaries() {
  return {{"add", [](const Tensor& a, const Tensor& b) { return ops::add(a, b); }},
          {"sub", [](const Tensor& a, const Tensor& b) { return ops::sub(a, b); }},
          {"mul", [](const Tensor& a, const Tensor& b) { return ops::mul(a, b); }},
          {"div", [](const Tensor& a, const Tensor& b) { return ops::div(a, b); }}};
}
// Values bounded away from 0, so div, log and sqrt stay smooth.
Tensor positive64(const Shape& shape, uint64_t seed, bool requires_grad = true) {
  Tensor t = ops::add(ops::abs(randn64(shape, seed, false)), 0.5);
  if (requires_grad) t.requires_grad_();
  return t;
}
}  // namespace

TEST_CASE("binary ops by hand: same shape, scalar tensor, per-channel broadcast", "[ops][elementwise]") {
  Tensor a = Tensor::from_vector(std::vector<double>{1, 2, 3, 4}, {2, 2});
  Tensor b = Tensor::from_vector(std::vector<double>{4, 3, 2, 1}, {2, 2});
  REQUIRE(ops::add(a, b).to_vector<double>() == std::vector<double>{5, 5, 5, 5});
  REQUIRE(ops::sub(a, b).to_vector<double>() == std::vector<double>{-3, -1, 1, 3});
  REQUIRE(ops::mul(a, b).to_vector<double>() == std::vector<double>{4, 6, 6, 4});
  REQUIRE(ops::div(a, b).to_vector<double>() == std::vector<double>{0.25, 2.0 / 3, 1.5, 4});
  Tensor s = Tensor::scalar(2.0, DType::f64);
  REQUIRE(ops::mul(a, s).to_vector<double>() == std::vector<double>{2, 4, 6, 8});
  REQUIRE(ops::div(s, a).to_vector<double>() == std::vector<double>{2, 1, 2.0 / 3, 0.5});
  // [C,1,1] over [N,C,H,W]: channel c gets bias[c].
  Tensor x = Tensor::zeros({2, 3, 1, 2}, DType::f64);
  Tensor bias = Tensor::from_vector(std::vector<double>{10, 20, 30}, {3, 1, 1});
  REQUIRE(ops::add(x, bias).to_vector<double>() ==
          std::vector<double>{10, 10, 20, 20, 30, 30, 10, 10, 20, 20, 30, 30});
  // Double-scalar forms and operators.
  REQUIRE(ops::add(a, 1.0).to_vector<double>() == std::vector<double>{2, 3, 4, 5});
  REQUIRE(ops::rsub(a, 1.0).to_vector<double>() == std::vector<double>{0, -1, -2, -3});
  REQUIRE(ops::rdiv(a, 4.0).to_vector<double>() == std::vector<double>{4, 2, 4.0 / 3, 1});
  REQUIRE((a * 2.0 - 1.0).to_vector<double>() == std::vector<double>{1, 3, 5, 7});
}

TEST_CASE("binary op gradients pass the f64 gradient check for every broadcast form", "[ops][elementwise]") {
  const std::vector<std::pair<Shape, Shape>> shapes{
      {{2, 3}, {2, 3}},              // same shape
      {{2, 3}, {}},                  // scalar tensor
      {{2, 3, 2, 2}, {3, 1, 1}},     // per-channel over NCHW
      {{1, 3, 1, 1}, {2, 3, 2, 2}},  // broadcast on the left operand
      {{4, 1}, {1, 5}}};             // both broadcast
  for (const NamedBinary& op : binaries()) {
    for (const auto& [sa, sb] : shapes) {
      INFO(op.name << " " << shape_str(sa) << " with " << shape_str(sb));
      Tensor a = randn64(sa, 1), b = positive64(sb, 2);
      auto f = [&op](const std::vector<Tensor>& in) { return op.f(in[0], in[1]); };
      test::gradcheck(f, {a, b});
      test::check_dtype_agreement(f, {a, b});
    }
  }
}

TEST_CASE("scalar (double) forms have gradients", "[ops][elementwise]") {
  Tensor a = positive64({3, 4}, 3);
  for (auto f : std::vector<test::TensorFn>{
           [](const std::vector<Tensor>& in) { return ops::add(in[0], 1.5); },
           [](const std::vector<Tensor>& in) { return ops::mul(in[0], -2.0); },
           [](const std::vector<Tensor>& in) { return ops::rsub(in[0], 3.0); },
           [](const std::vector<Tensor>& in) { return ops::rdiv(in[0], 3.0); }}) {
    test::gradcheck(f, {a});
    test::check_dtype_agreement(f, {a});
  }
}

TEST_CASE("unary ops by hand", "[ops][elementwise]") {
  Tensor x = Tensor::from_vector(std::vector<double>{-1, 0, 4});
  REQUIRE(ops::neg(x).to_vector<double>() == std::vector<double>{1, 0, -4});
  REQUIRE(ops::relu(x).to_vector<double>() == std::vector<double>{0, 0, 4});
  REQUIRE(ops::exp(x).to_vector<double>()[1] == 1.0);
  REQUIRE(ops::sqrt(ops::abs(x)).to_vector<double>() == std::vector<double>{1, 0, 2});
  REQUIRE(ops::log(Tensor::from_vector(std::vector<double>{1, std::exp(2.0)})).to_vector<double>()[1] ==
          Approx(2.0));
  REQUIRE(ops::pow(x, 3.0).to_vector<double>() == std::vector<double>{-1, 0, 64});
  REQUIRE(ops::sigmoid(x).to_vector<double>()[1] == 0.5);
  REQUIRE(ops::tanh(x).to_vector<double>()[1] == 0.0);
  REQUIRE(ops::tanh(x).to_vector<double>()[0] == Approx(std::tanh(-1.0)));
}

TEST_CASE("unary op gradients pass the f64 gradient check — f32 agrees", "[ops][elementwise]") {
  const std::vector<std::pair<std::string, std::function<Tensor(const Tensor&)>>> unaries{
      {"neg", [](const Tensor& t) { return ops::neg(t); }},
      {"exp", [](const Tensor& t) { return ops::exp(t); }},
      {"log", [](const Tensor& t) { return ops::log(t); }},
      {"sqrt", [](const Tensor& t) { return ops::sqrt(t); }},
      {"pow 2", [](const Tensor& t) { return ops::pow(t, 2.0); }},
      {"pow 1.7", [](const Tensor& t) { return ops::pow(t, 1.7); }},
      {"relu", [](const Tensor& t) { return ops::relu(t); }},
      {"sigmoid", [](const Tensor& t) { return ops::sigmoid(t); }},
      {"tanh", [](const Tensor& t) { return ops::tanh(t); }}};
  for (const auto& [name, op] : unaries) {
    INFO(name);
    // log, sqrt and the fractional power need positive inputs; the rest get both signs.
    const bool positive_only = name == "log" || name == "sqrt" || name == "pow 1.7";
    Tensor x = positive_only ? positive64({3, 5}, 4) : randn64({3, 5}, 4);
    auto f = [&op](const std::vector<Tensor>& in) { return op(in[0]); };
    test::gradcheck(f, {x});
    test::check_dtype_agreement(f, {x});
  }
}

TEST_CASE("sum and mean over all elements and over dims, with keepdim", "[ops][reduce]") {
  Tensor x = Tensor::from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3});
  REQUIRE(ops::sum(x).item() == 21);
  REQUIRE(ops::sum(x).shape() == Shape{});
  REQUIRE(ops::mean(x).item() == 3.5);
  REQUIRE(ops::sum(x, {0}).to_vector<double>() == std::vector<double>{5, 7, 9});
  REQUIRE(ops::sum(x, {1}).to_vector<double>() == std::vector<double>{6, 15});
  REQUIRE(ops::sum(x, {-1}, true).shape() == Shape{2, 1});
  REQUIRE(ops::mean(x, {1}).to_vector<double>() == std::vector<double>{2, 5});
  REQUIRE(ops::mean(x, {0, 1}, true).shape() == Shape{1, 1});
  Tensor t = randn64({2, 3, 4, 5}, 5);
  const std::vector<std::pair<std::vector<int64_t>, bool>> reductions{
      {{0}, false}, {{1, 3}, true}, {{0, 2, 3}, false}, {{-1}, true}};
  for (const auto& [dims, keep] : reductions) {
    INFO("dims " << dims.size() << " keepdim " << keep);
    auto fs = [dims = dims, keep = keep](const std::vector<Tensor>& in) { return ops::sum(in[0], dims, keep); };
    auto fm = [dims = dims, keep = keep](const std::vector<Tensor>& in) { return ops::mean(in[0], dims, keep); };
    test::gradcheck(fs, {t});
    test::gradcheck(fm, {t});
    test::check_dtype_agreement(fm, {t});
  }
  test::gradcheck([](const std::vector<Tensor>& in) { return ops::sum(in[0]); }, {t});
  test::gradcheck([](const std::vector<Tensor>& in) { return ops::mean(in[0]); }, {t});
}

TEST_CASE("matmul by hand, 2-D and batched", "[ops][linalg]") {
  Tensor a = Tensor::from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor b = Tensor::from_vector(std::vector<double>{1, 0, 0, 1, 1, 1}, {3, 2});
  REQUIRE(ops::matmul(a, b).to_vector<double>() == std::vector<double>{4, 5, 10, 11});
  Tensor ab = ops::stack({a, ops::mul(a, 2.0)});
  Tensor bb = ops::stack({b, b});
  REQUIRE(ops::matmul(ab, bb).to_vector<double>() == std::vector<double>{4, 5, 10, 11, 8, 10, 20, 22});
}

TEST_CASE("gemm: every transpose combination matches explicit transposes and has gradients", "[ops][linalg]") {
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      for (bool batched : {false, true}) {
        INFO("trans_a " << ta << " trans_b " << tb << " batched " << batched);
        const int64_t M = 3, K = 4, N = 5;
        Shape sa = ta ? Shape{K, M} : Shape{M, K};
        Shape sb = tb ? Shape{N, K} : Shape{K, N};
        if (batched) {
          sa.insert(sa.begin(), 2);
          sb.insert(sb.begin(), 2);
        }
        Tensor a = randn64(sa, 6), b = randn64(sb, 7);
        auto f = [ta, tb](const std::vector<Tensor>& in) { return ops::gemm(in[0], ta, in[1], tb, 0.5); };
        if (!batched) {
          Tensor ea = ta ? ops::transpose2d(a.detach()) : a.detach();
          Tensor eb = tb ? ops::transpose2d(b.detach()) : b.detach();
          REQUIRE_CLOSE(f({a.detach(), b.detach()}), ops::mul(ops::matmul(ea, eb), 0.5), 1e-14, 1e-14);
        }
        test::gradcheck(f, {a, b});
        test::check_dtype_agreement(f, {a, b});
      }
    }
  }
}

TEST_CASE("linear is x·Wᵀ + b with PyTorch's weight layout", "[ops][linalg]") {
  Tensor x = Tensor::from_vector(std::vector<double>{1, 2}, {1, 2});
  Tensor w = Tensor::from_vector(std::vector<double>{1, 1, 2, -1, 0, 3}, {3, 2});
  Tensor b = Tensor::from_vector(std::vector<double>{0.5, 0, -1}, {3});
  REQUIRE(ops::linear(x, w, b).to_vector<double>() == std::vector<double>{3.5, 0, 5});
  REQUIRE(ops::linear(x, w).to_vector<double>() == std::vector<double>{3, 0, 6});
  auto f = [](const std::vector<Tensor>& in) { return ops::linear(in[0], in[1], in[2]); };
  std::vector<Tensor> args{randn64({4, 3}, 8), randn64({5, 3}, 9), randn64({5}, 10)};
  test::gradcheck(f, args);
  test::check_dtype_agreement(f, args);
}

TEST_CASE("elementwise, reduce and linalg argument errors name the op and the shapes", "[ops][elementwise]") {
  Tensor a = Tensor::zeros({2, 3}), b = Tensor::zeros({4, 3});
  REQUIRE_THROWS_WITH(ops::add(a, b), Catch::Contains("add") && Catch::Contains("[2, 3]") && Catch::Contains("[4, 3]"));
  REQUIRE_THROWS_WITH(ops::sub(a, b), Catch::Contains("sub") && Catch::Contains("[4, 3]"));
  REQUIRE_THROWS_WITH(ops::mul(a, b), Catch::Contains("mul") && Catch::Contains("[4, 3]"));
  REQUIRE_THROWS_WITH(ops::div(a, b), Catch::Contains("div") && Catch::Contains("[4, 3]"));
  REQUIRE_THROWS_WITH(ops::add(a, Tensor::zeros({2, 3}, DType::f64)), Catch::Contains("add") && Catch::Contains("f64"));
  REQUIRE_THROWS_WITH(ops::exp(Tensor::zeros({2}, DType::i64)), Catch::Contains("exp") && Catch::Contains("i64"));
  REQUIRE_THROWS_WITH(ops::relu(Tensor()), Catch::Contains("relu"));
  REQUIRE_THROWS_WITH(ops::sum(a, {2}), Catch::Contains("sum") && Catch::Contains("dim 2"));
  REQUIRE_THROWS_WITH(ops::sum(a, {1, -1}), Catch::Contains("sum") && Catch::Contains("twice"));
  REQUIRE_THROWS_WITH(ops::mean(a, {-3}), Catch::Contains("mean"));
  REQUIRE_THROWS_WITH(ops::matmul(a, Tensor::zeros({2, 3})),
                      Catch::Contains("matmul") && Catch::Contains("[2, 3]"));
  REQUIRE_THROWS_WITH(ops::matmul(Tensor::zeros({2, 2, 3}), Tensor::zeros({3, 3, 2})),
                      Catch::Contains("matmul") && Catch::Contains("batch"));
  REQUIRE_THROWS_WITH(ops::matmul(a, Tensor::zeros({3})), Catch::Contains("matmul") && Catch::Contains("[3]"));
  REQUIRE_THROWS_WITH(ops::linear(a, Tensor::zeros({4, 2})),
                      Catch::Contains("linear") && Catch::Contains("[2, 3]") && Catch::Contains("[4, 2]"));
  REQUIRE_THROWS_WITH(ops::linear(a, Tensor::zeros({4, 3}), Tensor::zeros({3})),
                      Catch::Contains("linear") && Catch::Contains("bias"));
}
