#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "core/ops/elementwise.h"
#include "core/ops/nn.h"
#include "core/ops/reduce.h"
#include "tests/support/gradcheck.h"
#include "tests/support/tolerance.h"

using namespace cohort;
using test::randn64;

TEST_CASE("softmax and log_softmax by hand, stable for large logits", "[ops][softmax]") {
  Tensor x = Tensor::from_vector(std::vector<double>{0, std::log(3.0), 1000, 1000}, {2, 2});
  Tensor p = ops::softmax(x);
  REQUIRE_CLOSE(p, Tensor::from_vector(std::vector<double>{0.25, 0.75, 0.5, 0.5}, {2, 2}), 1e-15, 1e-15);
  Tensor lp = ops::log_softmax(x);
  REQUIRE_CLOSE(lp, Tensor::from_vector(std::vector<double>{std::log(0.25), std::log(0.75),
                                                             std::log(0.5), std::log(0.5)}, {2, 2}),
                1e-12, 0);  // x - (max + log Σ) at |x| = 1000 rounds at ~1000·2⁻⁵³
  // f32 with logits far beyond exp's range stays finite.
  Tensor big = Tensor::from_vector(std::vector<float>{-1e4f, 0, 1e4f}, {1, 3});
  REQUIRE(ops::softmax(big).to_vector<float>() == std::vector<float>{0, 0, 1});
  REQUIRE(ops::log_softmax(big).to_vector<float>()[2] == 0.0f);
  // Rows of a 3-D tensor: the last dim is normalised.
  Tensor s = ops::softmax(randn64({2, 3, 4}, 1, false));
  REQUIRE_CLOSE(ops::sum(s, {2}), Tensor::ones({2, 3}, DType::f64), 1e-14, 0);
}

TEST_CASE("softmax and log_softmax gradients pass the f64 gradient check — f32 agrees", "[ops][softmax]") {
  Tensor x = randn64({4, 5}, 2);
  auto sm = [](const std::vector<Tensor>& in) { return ops::softmax(in[0]); };
  auto lsm = [](const std::vector<Tensor>& in) { return ops::log_softmax(in[0]); };
  test::gradcheck(sm, {x});
  test::gradcheck(lsm, {x});
  test::gradcheck(lsm, {randn64({2, 3, 4}, 3)});
  test::check_dtype_agreement(sm, {x});
  test::check_dtype_agreement(lsm, {x});
}

TEST_CASE("softmax argument errors name the op and the shapes", "[ops][softmax]") {
  REQUIRE_THROWS_WITH(ops::softmax(Tensor::scalar(1.0)), Catch::Contains("softmax") && Catch::Contains("[]"));
  REQUIRE_THROWS_WITH(ops::log_softmax(Tensor::zeros({3, 0})),
                      Catch::Contains("log_softmax") && Catch::Contains("[3, 0]"));
  REQUIRE_THROWS_WITH(ops::log_softmax(Tensor::zeros({3}, DType::i64)),
                      Catch::Contains("log_softmax") && Catch::Contains("i64"));
}

TEST_CASE("dropout zeroes with probability p, rescales the rest, and is reproducible", "[ops][dropout]") {
  Tensor x = Tensor::ones({100, 100}, DType::f64);
  Generator g1(5), g2(5);
  Tensor y1 = ops::dropout(x, 0.3, true, g1), y2 = ops::dropout(x, 0.3, true, g2);
  REQUIRE(y1.to_vector<double>() == y2.to_vector<double>());
  double kept = 0;
  for (double v : y1.to_vector<double>()) {
    REQUIRE((v == 0.0 || v == Approx(1.0 / 0.7)));
    kept += v != 0.0;
  }
  REQUIRE(std::abs(kept / 10000 - 0.7) < 0.02);
  // Eval mode and p = 0 are the identity; p = 1 drops everything.
  Generator g(1);
  REQUIRE(ops::dropout(x, 0.3, false, g).same(x));
  REQUIRE(ops::dropout(x, 0.0, true, g).same(x));
  REQUIRE(ops::sum(ops::dropout(x, 1.0, true, g)).item() == 0.0);
  // The mask does not depend on the dtype (same Philox stream).
  Generator g3(5);
  Tensor y32 = ops::dropout(x.to(DType::f32), 0.3, true, g3);
  REQUIRE_CLOSE(y32, y1, 1e-6, 1e-6);
}

TEST_CASE("dropout gradient is the mask — gradient check with a fixed generator", "[ops][dropout]") {
  Tensor x = randn64({3, 4, 2, 2}, 4);
  // A fresh generator inside f: every evaluation draws the same mask.
  auto f = [](const std::vector<Tensor>& in) {
    Generator gen(9);
    return ops::dropout(in[0], 0.4, true, gen);
  };
  test::gradcheck(f, {x});
  test::check_dtype_agreement(f, {x});
  REQUIRE_THROWS_WITH(f({Tensor::zeros({2}, DType::i64)}), Catch::Contains("dropout") && Catch::Contains("i64"));
  Generator g(1);
  REQUIRE_THROWS_WITH(ops::dropout(x, 1.5, true, g), Catch::Contains("dropout") && Catch::Contains("1.5"));
}
