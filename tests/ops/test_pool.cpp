#include <catch2/catch.hpp>
#include <utility>
#include <vector>

#include "core/ops/nn.h"
#include "core/ops/reduce.h"
#include "core/random.h"
#include "tests/support/gradcheck.h"
#include "tests/support/tolerance.h"

using namespace cohort;
using test::randn64;

namespace {
Pool2dParams pool(int64_t kernel, int64_t stride, int64_t pad, bool include_pad = true) {
  Pool2dParams p;
  p.kernel_h = p.kernel_w = kernel;
  p.stride_h = p.stride_w = stride;
  p.pad_h = p.pad_w = pad;
  p.count_include_pad = include_pad;
  return p;
}
}  // namespace

TEST_CASE("max_pool2d forward and backward by hand", "[ops][pool]") {
  // 4x4 plane, 2x2 windows, stride 2.
  Tensor x = Tensor::from_vector(std::vector<double>{1, 5, 2, 0,   //
                                                     3, 4, 8, 8,   //
                                                     -1, -2, 0, 7, //
                                                     -3, -4, 6, 7},
                                 {1, 1, 4, 4})
                 .requires_grad_();
  Tensor y = ops::max_pool2d(x, pool(2, 2, 0));
  REQUIRE(y.to_vector<double>() == std::vector<double>{5, 8, -1, 7});
  y.backward(Tensor::from_vector(std::vector<double>{10, 20, 30, 40}, {1, 1, 2, 2}));
  // Ties (8, 8 and 7, 7) send the gradient to the first maximum in row-major order.
  REQUIRE(x.grad().to_vector<double>() == std::vector<double>{0, 10, 0, 0,  //
                                                              0, 0, 20, 0,  //
                                                              30, 0, 0, 40, //
                                                              0, 0, 0, 0});
}

TEST_CASE("max_pool2d with padding ignores the padding — overlapping windows accumulate", "[ops][pool]") {
  Tensor x = Tensor::from_vector(std::vector<double>{-5, -6, -7, -8, -1, -9, -4, -3, -2}, {1, 1, 3, 3})
                 .requires_grad_();
  Tensor y = ops::max_pool2d(x, pool(3, 2, 1));  // windows centred on (0,0), (0,2), (2,0), (2,2)
  REQUIRE(y.to_vector<double>() == std::vector<double>{-1, -1, -1, -1});
  ops::sum(y).backward();
  REQUIRE(x.grad().to_vector<double>() == std::vector<double>{0, 0, 0, 0, 4, 0, 0, 0, 0});
}

TEST_CASE("avg_pool2d with and without count_include_pad by hand", "[ops][pool]") {
  Tensor x = Tensor::from_vector(std::vector<double>{1, 2, 3, 4}, {1, 1, 2, 2});
  // 2x2 windows, stride 2, pad 1 -> four windows each holding one real element.
  REQUIRE(ops::avg_pool2d(x, pool(2, 2, 1, true)).to_vector<double>() ==
          std::vector<double>{0.25, 0.5, 0.75, 1.0});
  REQUIRE(ops::avg_pool2d(x, pool(2, 2, 1, false)).to_vector<double>() ==
          std::vector<double>{1, 2, 3, 4});
  Tensor x3 = Tensor::from_vector(std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3})
                  .requires_grad_();
  Tensor y = ops::avg_pool2d(x3, pool(3, 1, 1, false));
  // Corner window covers 1, 2, 4, 5 -> 3; centre covers all nine -> 5.
  REQUIRE(y.to_vector<double>()[0] == 3.0);
  REQUIRE(y.to_vector<double>()[4] == 5.0);
  ops::sum(y).backward();
  // Element (0,0) sits in 4 windows of sizes 4, 6, 6, 9.
  REQUIRE(x3.grad().to_vector<double>()[0] == Approx(1.0 / 4 + 2.0 / 6 + 1.0 / 9));
}

TEST_CASE("pooling gradients pass the f64 gradient check", "[ops][pool]") {
  for (const Pool2dParams& p : {pool(2, 2, 0), pool(3, 2, 1), pool(3, 1, 1, false), pool(2, 1, 1)}) {
    INFO("kernel " << p.kernel_h << " stride " << p.stride_h << " pad " << p.pad_h);
    Tensor x = randn64({2, 3, 5, 6}, 1);
    test::gradcheck([p](const std::vector<Tensor>& in) { return ops::max_pool2d(in[0], p); }, {x});
    test::gradcheck([p](const std::vector<Tensor>& in) { return ops::avg_pool2d(in[0], p); }, {x});
  }
  // Rectangular kernel and stride.
  Pool2dParams rect = pool(2, 2, 0);
  rect.kernel_w = 3;
  rect.stride_h = 1;
  test::gradcheck([rect](const std::vector<Tensor>& in) { return ops::max_pool2d(in[0], rect); },
                  {randn64({1, 2, 4, 6}, 2)});
  test::gradcheck([rect](const std::vector<Tensor>& in) { return ops::avg_pool2d(in[0], rect); },
                  {randn64({1, 2, 4, 6}, 2)});
}

TEST_CASE("max_pool2d gradient check skips tied maxima as kinks", "[ops][pool]") {
  // A few exact ties: perturbing a tied element moves the maximum, so its one-sided slopes
  // differ and the checker skips it; every other element is still checked.
  Tensor x = randn64({1, 2, 4, 4}, 3, false);
  double* p = x.data<double>();
  p[1] = p[0] = 3.0;    // tie inside window (0, 0) of channel 0
  p[16 + 10] = p[16 + 11] = 2.5;  // tie inside a window of channel 1
  x.requires_grad_();
  test::gradcheck([](const std::vector<Tensor>& in) { return ops::max_pool2d(in[0], pool(2, 2, 0)); },
                  {x});
}

TEST_CASE("global_avg_pool2d is the mean over H and W", "[ops][pool]") {
  Tensor x = Tensor::from_vector(std::vector<double>{1, 2, 3, 4, 10, 20, 30, 40}, {1, 2, 2, 2});
  Tensor y = ops::global_avg_pool2d(x);
  REQUIRE(y.shape() == Shape{1, 2});
  REQUIRE(y.to_vector<double>() == std::vector<double>{2.5, 25});
  test::gradcheck([](const std::vector<Tensor>& in) { return ops::global_avg_pool2d(in[0]); },
                  {randn64({2, 3, 3, 4}, 4)});
  test::check_dtype_agreement([](const std::vector<Tensor>& in) { return ops::global_avg_pool2d(in[0]); },
                              {randn64({2, 3, 3, 4}, 4)});
  REQUIRE_THROWS_WITH(ops::global_avg_pool2d(Tensor::zeros({2, 3})),
                      Catch::Contains("global_avg_pool2d") && Catch::Contains("[2, 3]"));
}

TEST_CASE("pooling f32 agrees with f64", "[ops][pool]") {
  Tensor x = randn64({2, 3, 6, 6}, 5);
  test::check_dtype_agreement([](const std::vector<Tensor>& in) { return ops::max_pool2d(in[0], pool(3, 2, 1)); },
                              {x});
  test::check_dtype_agreement([](const std::vector<Tensor>& in) { return ops::avg_pool2d(in[0], pool(3, 2, 1, false)); },
                              {x});
}

TEST_CASE("pooling argument errors name the op and the shapes", "[ops][pool]") {
  Tensor x = Tensor::zeros({1, 2, 4, 4});
  REQUIRE_THROWS_WITH(ops::max_pool2d(Tensor::zeros({2, 4, 4}), pool(2, 2, 0)),
                      Catch::Contains("max_pool2d") && Catch::Contains("[2, 4, 4]"));
  REQUIRE_THROWS_WITH(ops::avg_pool2d(Tensor::zeros({2, 4, 4}), pool(2, 2, 0)),
                      Catch::Contains("avg_pool2d") && Catch::Contains("[2, 4, 4]"));
  REQUIRE_THROWS_WITH(ops::max_pool2d(x, pool(7, 1, 1)),
                      Catch::Contains("max_pool2d") && Catch::Contains("larger than the padded input"));
  REQUIRE_THROWS_WITH(ops::avg_pool2d(x, pool(2, 2, 2)),
                      Catch::Contains("avg_pool2d") && Catch::Contains("at most half"));
  REQUIRE_THROWS_WITH(ops::max_pool2d(x, pool(2, 0, 0)),
                      Catch::Contains("max_pool2d") && Catch::Contains("stride"));
  REQUIRE_THROWS_WITH(ops::max_pool2d(Tensor::zeros({1, 2, 4, 4}, DType::i64), pool(2, 2, 0)),
                      Catch::Contains("max_pool2d") && Catch::Contains("i64"));
}

// 1x1 windows without padding only subsample (the ResNets' option-A shortcut); the CPU runs them
// as strided copies, which must equal x[:, :, ::sh, ::sw] and pass the gradient check.
TEST_CASE("avg_pool2d with 1x1 windows is a strided subsample", "[ops][pool]") {
  for (const auto& [sh, sw] : std::vector<std::pair<int64_t, int64_t>>{{2, 2}, {2, 1}, {1, 3}, {3, 2}}) {
    INFO("stride " << sh << " x " << sw);
    Pool2dParams p = pool(1, 1, 0);
    p.stride_h = sh;
    p.stride_w = sw;
    Tensor x = randn64({2, 3, 7, 6}, 5);
    Tensor y = ops::avg_pool2d(x, p);
    const int64_t P = (7 - 1) / sh + 1, Q = (6 - 1) / sw + 1;
    REQUIRE(y.shape() == Shape{2, 3, P, Q});
    const std::vector<double> xs = x.to_vector<double>(), ys = y.to_vector<double>();
    bool same = true;
    for (int64_t pl = 0; pl < 6; ++pl)
      for (int64_t i = 0; i < P; ++i)
        for (int64_t j = 0; j < Q; ++j) same = same && ys[(pl * P + i) * Q + j] == xs[(pl * 7 + i * sh) * 6 + j * sw];
    REQUIRE(same);
    test::gradcheck([p](const std::vector<Tensor>& in) { return ops::avg_pool2d(in[0], p); }, {x});
  }
}
