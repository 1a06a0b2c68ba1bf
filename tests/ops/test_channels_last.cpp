// Channels-last (NHWC) activations on the CPU: the layout conversions, conv2d (oneDNN for f32,
// the reference on NCHW copies for f64) and the batch norms, each against the NCHW op on the
// same values.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/error.h"
#include "core/ops/elementwise.h"
#include "core/ops/nn.h"
#include "core/ops/reduce.h"
#include "core/ops/shape.h"
#include "core/random.h"
#include "kernels/cpu/nn_conv_paths.h"
#include "tests/support/conv_params.h"
#include "tests/support/gradcheck.h"
#include "tests/support/tolerance.h"

using namespace cohort;
using test::conv_params;
using test::randn64;

namespace {

// A fresh leaf with t's values that requires grad.
Tensor leaf(const Tensor& t) {
  Tensor l = t.detach();
  l.requires_grad_();
  return l;
}

Conv2dParams channels_last(Conv2dParams p) {
  p.channels_last = true;
  return p;
}

// The gradients of sum(f(x, w, b) · R) for a fixed R, in NCHW, with f applied in either layout.
struct ConvResult {
  Tensor y, gx, gw, gb;
};

ConvResult run_conv(const Tensor& x0, const Tensor& w0, const Tensor& b0, const Conv2dParams& p, bool nhwc,
                    uint64_t seed) {
  Tensor x = leaf(x0), w = leaf(w0);
  Tensor b = b0.defined() ? leaf(b0) : Tensor();
  Tensor y = nhwc ? ops::to_channels_first(ops::conv2d(ops::to_channels_last(x), w, b, channels_last(p)))
                  : ops::conv2d(x, w, b, p);
  Generator gen(seed);
  Tensor r = Tensor::randn(y.shape(), gen).to(y.dtype());
  ops::sum(ops::mul(y, r)).backward();
  return {y.detach(), x.grad(), w.grad(), b.defined() ? b.grad() : Tensor()};
}

struct ConvCase {
  Shape x, w;
  Conv2dParams p;
  bool bias;
};

std::string describe(const ConvCase& c) {
  return fmt::format("x {} w {} stride {} pad {} dilation {} groups {}{}", shape_str(c.x), shape_str(c.w),
                     c.p.stride_h, c.p.pad_h, c.p.dilation_h, c.p.groups, c.bias ? " bias" : "");
}

// The layer kinds of the CIFAR models (3x3 of each stage, stride 2, the RGB stem, 1x1
// projections, MobileNet's depthwise and pointwise) plus bias, dilation and odd sizes.
std::vector<ConvCase> conv_cases() {
  return {
      {{4, 3, 32, 32}, {16, 3, 3, 3}, conv_params(1, 1), false},
      {{4, 16, 32, 32}, {16, 16, 3, 3}, conv_params(1, 1), false},
      {{4, 16, 32, 32}, {32, 16, 3, 3}, conv_params(2, 1), false},
      {{4, 64, 8, 8}, {64, 64, 3, 3}, conv_params(1, 1), false},
      {{4, 32, 16, 16}, {64, 32, 1, 1}, conv_params(2, 0), false},
      {{4, 32, 16, 16}, {32, 1, 3, 3}, conv_params(1, 1, 1, 32), false},
      {{4, 32, 16, 16}, {64, 32, 1, 1}, conv_params(1, 0), false},
      {{3, 6, 9, 7}, {10, 3, 3, 2}, conv_params(1, 2, 2, 2), true},
      {{2, 5, 11, 11}, {7, 5, 5, 5}, conv_params(3, 2), true},
  };
}

}  // namespace

TEST_CASE("to_channels_last and to_channels_first move every element and invert each other",
          "[ops][channels_last]") {
  Generator gen(1);
  for (const Shape& shape : std::vector<Shape>{{2, 3, 5, 7}, {1, 17, 33, 2}, {3, 1, 1, 1}, {2, 40, 4, 4}}) {
    INFO(shape_str(shape));
    Tensor x = Tensor::randn(shape, gen);
    Tensor y = ops::to_channels_last(x);
    REQUIRE(y.shape() == Shape{shape[0], shape[2], shape[3], shape[1]});
    const std::vector<float> xs = x.to_vector<float>(), ys = y.to_vector<float>();
    const int64_t N = shape[0], C = shape[1], H = shape[2], W = shape[3];
    bool same = true;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t c = 0; c < C; ++c)
        for (int64_t h = 0; h < H; ++h)
          for (int64_t w = 0; w < W; ++w)
            same = same && xs[((n * C + c) * H + h) * W + w] == ys[((n * H + h) * W + w) * C + c];
    REQUIRE(same);
    REQUIRE_CLOSE(ops::to_channels_first(y), x, 0, 0);
  }
}

TEST_CASE("layout conversions pass the f64 gradient check", "[ops][channels_last]") {
  test::gradcheck([](const std::vector<Tensor>& in) { return ops::to_channels_last(in[0]); },
                  {randn64({2, 3, 4, 5}, 1)});
  test::gradcheck([](const std::vector<Tensor>& in) { return ops::to_channels_first(in[0]); },
                  {randn64({2, 4, 5, 3}, 2)});
}

TEST_CASE("channels-last conv2d matches NCHW: output and every gradient (f32, oneDNN)", "[ops][conv][channels_last]") {
  const auto calls_before = cpu::cpu_conv_calls();
  uint64_t seed = 10;
  for (const ConvCase& c : conv_cases()) {
    INFO(describe(c));
    Generator gen(seed++);
    Tensor x = Tensor::randn(c.x, gen), w = Tensor::randn(c.w, gen);
    Tensor b = c.bias ? Tensor::randn({c.w[0]}, gen) : Tensor();
    const ConvResult nchw = run_conv(x, w, b, c.p, false, seed), nhwc = run_conv(x, w, b, c.p, true, seed);
    // Sums of up to a few thousand O(1) products, taken in different orders by the two layouts.
    CHECK_CLOSE(nhwc.y, nchw.y, 2e-4, 1e-5);
    CHECK_CLOSE(nhwc.gx, nchw.gx, 2e-4, 1e-5);
    CHECK_CLOSE(nhwc.gw, nchw.gw, 2e-3, 1e-5);
    if (c.bias) CHECK_CLOSE(nhwc.gb, nchw.gb, 2e-3, 1e-5);
  }
  // With oneDNN in the build and selected, the channels-last calls ran there (no fallback).
  if (cpu::cpu_conv_impl() == cpu::CpuConvImpl::onednn)
    REQUIRE(cpu::cpu_conv_calls().reference == calls_before.reference);
}

TEST_CASE("channels-last conv2d in f64 (the reference on NCHW copies) equals NCHW bit for bit",
          "[ops][conv][channels_last]") {
  uint64_t seed = 50;
  for (const ConvCase& c : conv_cases()) {
    INFO(describe(c));
    Tensor x = randn64(c.x, seed++, false), w = randn64(c.w, seed++, false);
    Tensor b = c.bias ? randn64({c.w[0]}, seed++, false) : Tensor();
    const ConvResult nchw = run_conv(x, w, b, c.p, false, seed), nhwc = run_conv(x, w, b, c.p, true, seed);
    CHECK_CLOSE(nhwc.y, nchw.y, 0, 0);
    CHECK_CLOSE(nhwc.gx, nchw.gx, 0, 0);
    CHECK_CLOSE(nhwc.gw, nchw.gw, 0, 0);
  }
}

TEST_CASE("channels-last conv2d passes the f64 gradient check", "[ops][conv][channels_last]") {
  const Conv2dParams p = channels_last(conv_params(2, 1, 1, 2));
  test::gradcheck([&](const std::vector<Tensor>& in) { return ops::conv2d(in[0], in[1], in[2], p); },
                  {randn64({2, 5, 6, 4}, 1), randn64({6, 2, 3, 3}, 2), randn64({6}, 3)});
}

TEST_CASE("channels-last conv2d errors name the layout and the shapes", "[ops][conv][channels_last]") {
  // An NCHW tensor passed as NHWC: its last dim is not the weight's channel count.
  Tensor x = Tensor::zeros({2, 16, 8, 8}), w = Tensor::zeros({32, 16, 3, 3});
  REQUIRE_THROWS_WITH(ops::conv2d(x, w, Tensor(), channels_last(conv_params(1, 1))),
                      Catch::Contains("channels last, NHWC") && Catch::Contains("[2, 16, 8, 8]"));
}

namespace {

struct BnResult {
  Tensor y, running_mean, running_var, gx, gw, gb;
};

// Batch norm (optionally fused with the ReLU) of x [N,C,H,W] run in either layout; gradients of
// sum(y · R) in NCHW.
BnResult run_batch_norm(const Tensor& x0, bool relu, bool training, bool nhwc) {
  const int64_t C = x0.size(1);
  Generator gen(77);
  Tensor x = leaf(x0);
  Tensor w = leaf(Tensor::randn({C}, gen).to(x0.dtype()));
  Tensor b = leaf(Tensor::randn({C}, gen).to(x0.dtype()));
  Tensor rm = Tensor::randn({C}, gen).to(x0.dtype()), rv = ops::add(ops::abs(Tensor::randn({C}, gen)), 0.5).to(x0.dtype());
  const auto op = relu ? ops::batch_norm2d_relu : ops::batch_norm2d;
  Tensor y = nhwc ? ops::to_channels_first(op(ops::to_channels_last(x), w, b, rm, rv, training, 0.1, 1e-5, true))
                  : op(x, w, b, rm, rv, training, 0.1, 1e-5, false);
  Tensor r = Tensor::randn(y.shape(), gen).to(y.dtype());
  ops::sum(ops::mul(y, r)).backward();
  return {y.detach(), rm, rv, x.grad(), w.grad(), b.grad()};
}

}  // namespace

TEST_CASE("channels-last batch norm matches NCHW: train and eval, with and without the ReLU",
          "[ops][batch_norm][channels_last]") {
  Generator gen(3);
  for (const Shape& shape : std::vector<Shape>{{8, 16, 8, 8}, {3, 5, 7, 3}, {16, 64, 4, 4}}) {
    for (bool relu : {false, true})
      for (bool training : {true, false}) {
        INFO(shape_str(shape) << (relu ? " relu" : "") << (training ? " train" : " eval"));
        Tensor x = ops::add(Tensor::randn(shape, gen), 0.3);
        const BnResult nchw = run_batch_norm(x, relu, training, false);
        const BnResult nhwc = run_batch_norm(x, relu, training, true);
        CHECK_CLOSE(nhwc.y, nchw.y, 1e-5, 1e-5);
        CHECK_CLOSE(nhwc.running_mean, nchw.running_mean, 1e-6, 1e-6);
        CHECK_CLOSE(nhwc.running_var, nchw.running_var, 1e-6, 1e-6);
        CHECK_CLOSE(nhwc.gx, nchw.gx, 1e-5, 1e-4);
        CHECK_CLOSE(nhwc.gw, nchw.gw, 1e-4, 1e-5);
        CHECK_CLOSE(nhwc.gb, nchw.gb, 1e-4, 1e-5);
      }
  }
}

TEST_CASE("channels-last batch norm passes the f64 gradient check", "[ops][batch_norm][channels_last]") {
  Tensor rm = Tensor::zeros({4}, DType::f64), rv = Tensor::ones({4}, DType::f64);
  for (bool relu : {false, true}) {
    INFO((relu ? "fused ReLU" : "plain"));
    const auto op = relu ? ops::batch_norm2d_relu : ops::batch_norm2d;
    test::gradcheck(
        [&](const std::vector<Tensor>& in) { return op(in[0], in[1], in[2], rm, rv, true, 0.1, 1e-5, true); },
        {randn64({3, 3, 2, 4}, 1), randn64({4}, 2), randn64({4}, 3)});
  }
}

TEST_CASE("channels-last batch norm errors name the layout", "[ops][batch_norm][channels_last]") {
  Tensor x = Tensor::zeros({2, 16, 8, 8}), w = Tensor::ones({16}), b = Tensor::zeros({16});
  REQUIRE_THROWS_WITH(ops::batch_norm2d(x, w, b, Tensor(), Tensor(), true, 0.1, 1e-5, true),
                      Catch::Contains("channels last, NHWC") && Catch::Contains("[2, 16, 8, 8]"));
}
