#include <catch2/catch.hpp>
#include <vector>

#include "core/ops/elementwise.h"
#include "core/ops/nn.h"
#include "core/ops/reduce.h"
#include "tests/support/gradcheck.h"
#include "tests/support/tolerance.h"

using namespace cohort;
using test::randn64;

namespace {
Pad2dParams pads(int64_t left, int64_t right, int64_t top, int64_t bottom, PadMode mode) {
  Pad2dParams p;
  p.left = left; p.right = right; p.top = top; p.bottom = bottom; p.mode = mode;
  return p;
}
}  // namespace

TEST_CASE("pad2d zero and reflect by hand", "[ops][pad]") {
  Tensor x = Tensor::from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {1, 1, 2, 3});
  Tensor z = ops::pad2d(x, pads(1, 0, 0, 1, PadMode::zero));
  REQUIRE(z.shape() == Shape{1, 1, 3, 4});
  REQUIRE(z.to_vector<double>() == std::vector<double>{0, 1, 2, 3, 0, 4, 5, 6, 0, 0, 0, 0});
  // Reflect mirrors without repeating the edge: row [1 2 3] with left 2, right 2 -> 3 2 1 2 3 2 1.
  Tensor r = ops::pad2d(x, pads(2, 2, 1, 0, PadMode::reflect));
  REQUIRE(r.shape() == Shape{1, 1, 3, 7});
  REQUIRE(r.to_vector<double>() == std::vector<double>{6, 5, 4, 5, 6, 5, 4,  //
                                                       3, 2, 1, 2, 3, 2, 1,  //
                                                       6, 5, 4, 5, 6, 5, 4});
  // Backward of reflect: each x element collects every output that read it. Row 0 is read
  // once, row 1 twice; columns 0, 1, 2 are read 2, 3 and 2 times.
  Tensor xg = x.clone().requires_grad_();
  ops::sum(ops::pad2d(xg, pads(2, 2, 1, 0, PadMode::reflect))).backward();
  REQUIRE(xg.grad().to_vector<double>() == std::vector<double>{2, 3, 2, 4, 6, 4});
  // 3-D input (C, H, W) is accepted too.
  REQUIRE(ops::pad2d(Tensor::zeros({2, 2, 2}), pads(1, 1, 1, 1, PadMode::zero)).shape() == Shape{2, 4, 4});
}

TEST_CASE("pad2d gradients pass the f64 gradient check — f32 agrees", "[ops][pad]") {
  for (PadMode mode : {PadMode::zero, PadMode::reflect}) {
    INFO("mode " << static_cast<int>(mode));
    Pad2dParams p = pads(2, 1, 3, 0, mode);
    Tensor x = randn64({2, 2, 4, 5}, 1);
    test::gradcheck([p](const std::vector<Tensor>& in) { return ops::pad2d(in[0], p); }, {x});
    test::check_dtype_agreement([p](const std::vector<Tensor>& in) { return ops::pad2d(in[0], p); }, {x});
  }
}

TEST_CASE("pad2d argument errors name the op and the shapes", "[ops][pad]") {
  Tensor x = Tensor::zeros({1, 1, 3, 4});
  REQUIRE_THROWS_WITH(ops::pad2d(x, pads(-1, 0, 0, 0, PadMode::zero)),
                      Catch::Contains("pad2d") && Catch::Contains("non-negative") && Catch::Contains("[1, 1, 3, 4]"));
  REQUIRE_THROWS_WITH(ops::pad2d(x, pads(0, 0, 3, 0, PadMode::reflect)),
                      Catch::Contains("pad2d") && Catch::Contains("reflect") && Catch::Contains("[1, 1, 3, 4]"));
  REQUIRE_THROWS_WITH(ops::pad2d(x, pads(4, 0, 0, 0, PadMode::reflect)),
                      Catch::Contains("pad2d") && Catch::Contains("reflect"));
  REQUIRE_NOTHROW(ops::pad2d(x, pads(3, 3, 2, 2, PadMode::reflect)));
  REQUIRE_THROWS_WITH(ops::pad2d(Tensor::zeros({4, 4}), pads(1, 1, 1, 1, PadMode::zero)),
                      Catch::Contains("pad2d") && Catch::Contains("[4, 4]"));
  REQUIRE_THROWS_WITH(ops::pad2d(Tensor::zeros({1, 1, 2, 2}, DType::u8), pads(1, 1, 1, 1, PadMode::zero)),
                      Catch::Contains("pad2d") && Catch::Contains("u8"));
}

TEST_CASE("concat_channels joins along dim 1 and splits the gradient back", "[ops][concat]") {
  Tensor a = Tensor::from_vector(std::vector<double>{1, 2, 3, 4}, {2, 1, 1, 2});
  Tensor b = Tensor::from_vector(std::vector<double>{5, 6, 7, 8, 9, 10, 11, 12}, {2, 2, 1, 2});
  Tensor y = ops::concat_channels({a, b});
  REQUIRE(y.shape() == Shape{2, 3, 1, 2});
  REQUIRE(y.to_vector<double>() == std::vector<double>{1, 2, 5, 6, 7, 8, 3, 4, 9, 10, 11, 12});
  // [N, C] tensors too.
  REQUIRE(ops::concat_channels({Tensor::ones({2, 1}), Tensor::zeros({2, 2})}).to_vector<float>() ==
          std::vector<float>{1, 0, 0, 1, 0, 0});
  Tensor x1 = randn64({2, 2, 3, 3}, 1), x2 = randn64({2, 3, 3, 3}, 2), x3 = randn64({2, 1, 3, 3}, 3);
  auto f = [](const std::vector<Tensor>& in) { return ops::concat_channels(in); };
  test::gradcheck(f, {x1, x2, x3});
  test::check_dtype_agreement(f, {x1, x2, x3});
  // Inputs that do not require grad get none.
  Tensor fixed = randn64({2, 2, 3, 3}, 4, false);
  Tensor x4 = randn64({2, 2, 3, 3}, 5);
  ops::sum(ops::concat_channels({fixed, x4})).backward();
  REQUIRE(!fixed.grad().defined());
  REQUIRE(x4.grad().to_vector<double>() == std::vector<double>(36, 1.0));
}

TEST_CASE("concat_channels argument errors name the op and the shapes", "[ops][concat]") {
  REQUIRE_THROWS_WITH(ops::concat_channels({}), Catch::Contains("concat_channels"));
  REQUIRE_THROWS_WITH(ops::concat_channels({Tensor::zeros({2, 1, 3, 3}), Tensor::zeros({2, 1, 4, 3})}),
                      Catch::Contains("concat_channels") && Catch::Contains("[2, 1, 3, 3]") &&
                          Catch::Contains("[2, 1, 4, 3]"));
  REQUIRE_THROWS_WITH(ops::concat_channels({Tensor::zeros({2, 1, 3, 3}), Tensor::zeros({3, 1, 3, 3})}),
                      Catch::Contains("concat_channels") && Catch::Contains("[3, 1, 3, 3]"));
  REQUIRE_THROWS_WITH(ops::concat_channels({Tensor::zeros({2, 1}), Tensor::zeros({2, 1}, DType::f64)}),
                      Catch::Contains("concat_channels") && Catch::Contains("f64"));
  REQUIRE_THROWS_WITH(ops::concat_channels({Tensor::zeros({4})}),
                      Catch::Contains("concat_channels") && Catch::Contains("[4]"));
}
