#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "core/ops/elementwise.h"
#include "core/ops/nn.h"
#include "core/ops/reduce.h"
#include "core/random.h"
#include "tests/support/conv_params.h"
#include "tests/support/gradcheck.h"
#include "tests/support/tolerance.h"

using namespace cohort;
using test::conv_params;
using test::randn64;

namespace {

// Straightforward 7-loop convolution in f64: the independent reference the im2col, pointwise
// and depthwise paths are compared with.
Tensor naive_conv2d(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dParams& p) {
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  const int64_t K = w.size(0), Cg = w.size(1), R = w.size(2), S = w.size(3);
  const int64_t P = conv_out_size(H, R, p.stride_h, p.pad_h, p.dilation_h);
  const int64_t Q = conv_out_size(W, S, p.stride_w, p.pad_w, p.dilation_w);
  const int64_t Kg = K / p.groups;
  (void)C;
  std::vector<double> xv = x.to_vector<double>(), wv = w.to_vector<double>(), out(N * K * P * Q);
  std::vector<double> bv = b.defined() ? b.to_vector<double>() : std::vector<double>(K, 0.0);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k)
      for (int64_t pp = 0; pp < P; ++pp)
        for (int64_t q = 0; q < Q; ++q) {
          double acc = bv[k];
          const int64_t g = k / Kg;
          for (int64_t c = 0; c < Cg; ++c)
            for (int64_t r = 0; r < R; ++r)
              for (int64_t s = 0; s < S; ++s) {
                int64_t h = pp * p.stride_h - p.pad_h + r * p.dilation_h;
                int64_t ww = q * p.stride_w - p.pad_w + s * p.dilation_w;
                if (h < 0 || h >= H || ww < 0 || ww >= W) continue;
                int64_t ci = g * Cg + c;
                acc += xv[((n * x.size(1) + ci) * H + h) * W + ww] * wv[((k * Cg + c) * R + r) * S + s];
              }
          out[((n * K + k) * P + pp) * Q + q] = acc;
        }
  return Tensor::from_vector(out, {N, K, P, Q});
}

struct ConvCase {
  std::string name;
  Shape x, w;
  Conv2dParams p;
  bool bias;
};

std::vector<ConvCase> conv_cases() {
  Conv2dParams asym = conv_params(1, 0);
  asym.stride_h = 2; asym.stride_w = 1; asym.pad_h = 1; asym.pad_w = 2; asym.dilation_w = 2;
  return {
      {"3x3 pad 1", {2, 3, 5, 5}, {4, 3, 3, 3}, conv_params(1, 1), true},
      {"stride 2", {2, 3, 6, 5}, {4, 3, 3, 3}, conv_params(2, 1), true},
      {"dilation 2", {1, 2, 7, 7}, {3, 2, 3, 3}, conv_params(1, 2, 2), false},
      {"groups 2", {2, 4, 5, 5}, {6, 2, 3, 3}, conv_params(1, 1, 1, 2), true},
      {"depthwise", {2, 4, 5, 5}, {4, 1, 3, 3}, conv_params(1, 1, 1, 4), true},
      {"depthwise x2 stride 2", {2, 3, 6, 6}, {6, 1, 3, 3}, conv_params(2, 1, 1, 3), false},
      {"pointwise 1x1", {2, 4, 4, 3}, {5, 4, 1, 1}, conv_params(1, 0), true},
      {"1x1 stride 2", {2, 4, 5, 5}, {3, 4, 1, 1}, conv_params(2, 0), false},
      {"asymmetric", {1, 2, 6, 7}, {3, 2, 2, 3}, asym, true},
  };
}

}  // namespace

TEST_CASE("conv2d forward on a hand-checkable case", "[ops][conv]") {
  // x = 1..9 as a 3x3 image; w = [[1, 0], [0, 1]] adds each pixel to its lower-right neighbour.
  Tensor x = Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3});
  Tensor w = Tensor::from_vector(std::vector<float>{1, 0, 0, 1}, {1, 1, 2, 2});
  Tensor b = Tensor::from_vector(std::vector<float>{0.5f}, {1});
  Tensor y = ops::conv2d(x, w, b);
  REQUIRE(y.shape() == Shape{1, 1, 2, 2});
  REQUIRE(y.to_vector<float>() == std::vector<float>{6.5f, 8.5f, 12.5f, 14.5f});
  // Padding 1, stride 2: windows start at (-1,-1), (-1,1), (1,-1), (1,1); each sums its
  // top-left tap (in the padding except for (1,1)) and its bottom-right tap.
  Tensor y2 = ops::conv2d(x, w, Tensor(), conv_params(2, 1));
  REQUIRE(y2.shape() == Shape{1, 1, 2, 2});
  REQUIRE(y2.to_vector<float>() == std::vector<float>{0 + 1, 0 + 3, 0 + 7, 5 + 9});
}

TEST_CASE("conv2d matches a naive convolution on every code path", "[ops][conv]") {
  for (const ConvCase& c : conv_cases()) {
    INFO(c.name);
    Tensor x = randn64(c.x, 1, false), w = randn64(c.w, 2, false);
    Tensor b = c.bias ? randn64({c.w[0]}, 3, false) : Tensor();
    REQUIRE_CLOSE(ops::conv2d(x, w, b, c.p), naive_conv2d(x, w, b, c.p), 1e-12, 1e-12);
  }
}

TEST_CASE("conv2d gradients (input, weight, bias) pass the f64 gradient check", "[ops][conv]") {
  for (const ConvCase& c : conv_cases()) {
    INFO(c.name);
    Tensor x = randn64(c.x, 11), w = randn64(c.w, 12);
    Tensor b = c.bias ? randn64({c.w[0]}, 13) : Tensor();
    test::gradcheck([p = c.p](const std::vector<Tensor>& in) { return ops::conv2d(in[0], in[1], in[2], p); },
                    {x, w, b});
  }
}

TEST_CASE("conv2d f32 agrees with f64", "[ops][conv]") {
  for (const ConvCase& c : conv_cases()) {
    INFO(c.name);
    Tensor x = randn64(c.x, 21), w = randn64(c.w, 22);
    Tensor b = c.bias ? randn64({c.w[0]}, 23) : Tensor();
    test::check_dtype_agreement(
        [p = c.p](const std::vector<Tensor>& in) { return ops::conv2d(in[0], in[1], in[2], p); },
        {x, w, b});
  }
}

TEST_CASE("conv2d with a batch larger than the thread count matches per-image results", "[ops][conv]") {
  // The batch loop is OpenMP-parallel and the weight gradient sums per-thread partials.
  Tensor x = randn64({7, 3, 6, 6}, 31), w = randn64({4, 3, 3, 3}, 32);
  Tensor y = ops::conv2d(x, w, Tensor(), conv_params(1, 1));
  ops::sum(ops::mul(y, y)).backward();
  Tensor gw_total = Tensor::zeros(w.shape(), DType::f64);
  for (int64_t n = 0; n < 7; ++n) {
    Tensor w1 = w.detach().clone().requires_grad_();
    Tensor yn = ops::conv2d(x.detach().slice(n, n + 1), w1, Tensor(), conv_params(1, 1));
    REQUIRE_CLOSE(yn, y.detach().slice(n, n + 1), 1e-12, 1e-12);
    ops::sum(ops::mul(yn, yn)).backward();
    ops::add_(gw_total, w1.grad());
  }
  REQUIRE_CLOSE(w.grad(), gw_total, 1e-10, 1e-10);
}

TEST_CASE("conv2d argument errors name the op and the shapes", "[ops][conv]") {
  Tensor x = Tensor::zeros({2, 4, 5, 5}), w = Tensor::zeros({6, 4, 3, 3});
  REQUIRE_THROWS_WITH(ops::conv2d(Tensor::zeros({4, 5, 5}), w),
                      Catch::Contains("conv2d") && Catch::Contains("[4, 5, 5]"));
  REQUIRE_THROWS_WITH(ops::conv2d(x, Tensor::zeros({6, 4, 3})),
                      Catch::Contains("conv2d") && Catch::Contains("[6, 4, 3]"));
  // Channel mismatch: weight expects 3 input channels, input has 4.
  REQUIRE_THROWS_WITH(ops::conv2d(x, Tensor::zeros({6, 3, 3, 3})),
                      Catch::Contains("conv2d") && Catch::Contains("[2, 4, 5, 5]") &&
                          Catch::Contains("[6, 3, 3, 3]"));
  // Groups that do not divide the channels, and a weight of the wrong per-group width.
  REQUIRE_THROWS_WITH(ops::conv2d(x, Tensor::zeros({6, 1, 3, 3}), Tensor(), conv_params(1, 1, 1, 3)),
                      Catch::Contains("conv2d") && Catch::Contains("groups = 3"));
  REQUIRE_THROWS_WITH(ops::conv2d(x, Tensor::zeros({6, 4, 3, 3}), Tensor(), conv_params(1, 1, 1, 2)),
                      Catch::Contains("conv2d") && Catch::Contains("groups = 2"));
  // Kernel larger than the padded input.
  REQUIRE_THROWS_WITH(ops::conv2d(x, Tensor::zeros({6, 4, 7, 7})),
                      Catch::Contains("conv2d") && Catch::Contains("larger than the padded input"));
  REQUIRE_THROWS_WITH(ops::conv2d(x, w, Tensor(), conv_params(1, 0, 3)),
                      Catch::Contains("conv2d") && Catch::Contains("dilated"));
  REQUIRE_THROWS_WITH(ops::conv2d(x, w, Tensor(), conv_params(0, 1)),
                      Catch::Contains("conv2d") && Catch::Contains("stride"));
  REQUIRE_THROWS_WITH(ops::conv2d(x, w, Tensor(), conv_params(1, -1)),
                      Catch::Contains("conv2d") && Catch::Contains("padding"));
  REQUIRE_THROWS_WITH(ops::conv2d(x, w, Tensor::zeros({5})),
                      Catch::Contains("conv2d") && Catch::Contains("bias") && Catch::Contains("[5]"));
  REQUIRE_THROWS_WITH(ops::conv2d(x, Tensor::zeros({6, 4, 3, 3}, DType::f64)),
                      Catch::Contains("conv2d") && Catch::Contains("f64"));
  REQUIRE_THROWS_WITH(ops::conv2d(Tensor::zeros({2, 4, 5, 5}, DType::i64), Tensor::zeros({6, 4, 3, 3}, DType::i64)),
                      Catch::Contains("conv2d") && Catch::Contains("i64"));
#ifndef COHORT_WITH_CUDA
  (void)0;  // device mismatch needs a CUDA tensor; covered by the CUDA test binary
#endif
}
