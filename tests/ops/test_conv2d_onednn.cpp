// oneDNN conv2d vs the im2col reference (kernels/cpu/nn_conv_paths.h) on every distinct conv
// layer of the CIFAR models, and the COHORT_CPU_CONV selection.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/error.h"
#include "core/kernel_views.h"
#include "core/random.h"
#include "kernels/nn.h"
#include "kernels/cpu/nn_conv_paths.h"
#include "layers/conv.h"
#include "layers/layer_trace.h"
#include "layers/models/registry.h"
#include "tests/support/conv_params.h"
#include "tests/support/tolerance.h"

using namespace cohort;
using test::conv_params;

namespace {

struct ConvLayerShape {
  Shape x, w;
  Conv2dParams p;
  bool bias = false;
};

// Every distinct convolution a forward pass of `model` runs, with the batch set to `batch`
// (the layer shapes are read from a traced forward of one image).
std::vector<ConvLayerShape> model_conv_shapes(const std::string& model, int64_t batch,
                                              const nn::ModelOptions& options = {}) {
  Generator gen(0);
  auto m = nn::make_model(model, 10, options, gen);
  m->eval();
  std::vector<nn::TracedCall> calls;
  {
    nn::LayerTrace trace;
    NoGradGuard no_grad;
    m->forward(Tensor::randn({1, m->in_channels(), m->input_size(), m->input_size()}, gen));
    calls = trace.calls();
  }
  std::map<std::string, ConvLayerShape> distinct;
  for (const nn::TracedCall& call : calls) {
    const auto* conv = dynamic_cast<const nn::Conv2d*>(call.layer);
    if (!conv) continue;
    const nn::Conv2dOptions& o = conv->options();
    ConvLayerShape s{call.input.shape(), conv->weight().shape(),
                     conv_params(o.stride, o.padding, o.dilation, o.groups), o.bias};
    s.x[0] = batch;
    distinct.emplace(fmt::format("{} {} {} {} {} {} {}", shape_str(s.x), shape_str(s.w), o.stride,
                                 o.padding, o.dilation, o.groups, o.bias),
                     s);
  }
  std::vector<ConvLayerShape> shapes;
  for (auto& [key, s] : distinct) shapes.push_back(s);
  return shapes;
}

// Tolerance of an f32 sum of `terms` products of O(1) values, summed in different orders by the
// two implementations: each rounding adds up to eps·|partial sum| with partial sums ~ sqrt(terms),
// and the errors of `terms` additions add up like a random walk, ~ eps·terms. Four times that
// absolute, plus a relative 1e-5 for the larger outputs, leaves room without hiding a wrong
// tap, channel or group (whose errors are O(1)).
double f32_sum_atol(int64_t terms) {
  return 4.0 * std::numeric_limits<float>::epsilon() * static_cast<double>(terms);
}
constexpr double kRtol = 1e-5;

std::string describe(const ConvLayerShape& s) {
  return fmt::format("x {} w {} stride {} pad {} dilation {} groups {}{}", shape_str(s.x),
                     shape_str(s.w), s.p.stride_h, s.p.pad_h, s.p.dilation_h, s.p.groups,
                     s.bias ? " bias" : "");
}

// Runs forward, backward-data and backward-weight through both implementations and compares.
void check_parity(const ConvLayerShape& s, uint64_t seed) {
  INFO(describe(s));
  Generator gen(seed);
  const Shape y_shape{s.x[0], s.w[0],
                      conv_out_size(s.x[2], s.w[2], s.p.stride_h, s.p.pad_h, s.p.dilation_h),
                      conv_out_size(s.x[3], s.w[3], s.p.stride_w, s.p.pad_w, s.p.dilation_w)};
  Tensor x = Tensor::randn(s.x, gen), w = Tensor::randn(s.w, gen), gy = Tensor::randn(y_shape, gen);
  Tensor b = s.bias ? Tensor::randn({s.w[0]}, gen) : Tensor();
  const int64_t taps = s.w[2] * s.w[3];

  Tensor y_ref = Tensor::empty(y_shape), y_dnn = Tensor::empty(y_shape);
  cpu::conv_reference::forward(view_of(x), view_of(w), view_of(b), mutable_view_of(y_ref), s.p);
  REQUIRE(cpu::conv_onednn::forward(view_of(x), view_of(w), view_of(b), mutable_view_of(y_dnn), s.p));
  CHECK_CLOSE(y_dnn, y_ref, f32_sum_atol(s.w[1] * taps), kRtol);

  Tensor gx_ref = Tensor::empty(s.x), gx_dnn = Tensor::empty(s.x);
  cpu::conv_reference::backward_data(view_of(gy), view_of(w), mutable_view_of(gx_ref), s.p);
  REQUIRE(cpu::conv_onednn::backward_data(view_of(gy), view_of(w), mutable_view_of(gx_dnn), s.p));
  CHECK_CLOSE(gx_dnn, gx_ref, f32_sum_atol(s.w[0] / s.p.groups * taps), kRtol);

  Tensor gw_ref = Tensor::empty(s.w), gw_dnn = Tensor::empty(s.w);
  cpu::conv_reference::backward_weight(view_of(gy), view_of(x), mutable_view_of(gw_ref), s.p);
  REQUIRE(cpu::conv_onednn::backward_weight(view_of(gy), view_of(x), mutable_view_of(gw_dnn), s.p));
  CHECK_CLOSE(gw_dnn, gw_ref, f32_sum_atol(y_shape[0] * y_shape[2] * y_shape[3]), kRtol);

  // Both directions in one call (grad_y reordered once when the layouts agree): the same bits.
  Tensor gx_both = Tensor::empty(s.x), gw_both = Tensor::empty(s.w);
  const auto done = cpu::conv_onednn::backward(view_of(gy), view_of(x), view_of(w),
                                               mutable_view_of(gx_both), mutable_view_of(gw_both), s.p);
  REQUIRE(done.data);
  REQUIRE(done.weight);
  CHECK_CLOSE(gx_both, gx_dnn, 0, 0);
  CHECK_CLOSE(gw_both, gw_dnn, 0, 0);
}

}  // namespace

TEST_CASE("oneDNN conv2d backward of both directions shares the reorder of grad_y", "[ops][conv][onednn]") {
  // A ResNet 3x3 layer: both backward primitives want grad_y in the same blocked layout.
  const int64_t before = cpu::conv_onednn::shared_grad_reorders();
  check_parity({{8, 32, 16, 16}, {32, 32, 3, 3}, conv_params(1, 1, 1, 1)}, 400);
  REQUIRE(cpu::conv_onednn::shared_grad_reorders() == before + 1);
}

TEST_CASE("oneDNN conv2d matches the reference on every ResNet layer shape", "[ops][conv][onednn]") {
  nn::ModelOptions projection;
  projection.shortcut_b = true;  // adds the 1x1 stride-2 projection convolutions
  for (const auto& [model, options] : std::vector<std::pair<std::string, nn::ModelOptions>>{
           {"resnet8", {}}, {"resnet32", {}}, {"resnet110", {}}, {"resnet32", projection}}) {
    INFO(model << (options.shortcut_b ? " (projection shortcuts)" : ""));
    const auto shapes = model_conv_shapes(model, 4, options);
    REQUIRE(!shapes.empty());
    for (size_t i = 0; i < shapes.size(); ++i) check_parity(shapes[i], 100 + i);
  }
}

// The blocked-copy buffers shrink when a call needs half of them or less and grow again after
// (kernels/cpu/nn_conv_onednn.cpp, Workspace): large, small, large again must all stay right.
TEST_CASE("oneDNN conv2d stays right while its buffers shrink and grow", "[ops][conv][onednn]") {
  const ConvLayerShape large{{8, 16, 32, 32}, {16, 16, 3, 3}, conv_params(1, 1, 1, 1)};
  const ConvLayerShape small{{8, 64, 8, 8}, {64, 64, 3, 3}, conv_params(1, 1, 1, 1)};
  const ConvLayerShape strided{{8, 16, 32, 32}, {32, 16, 3, 3}, conv_params(2, 1, 1, 1)};
  uint64_t seed = 300;
  for (const ConvLayerShape* s : {&large, &small, &large, &strided, &small, &strided})
    check_parity(*s, seed++);
}

TEST_CASE("oneDNN conv2d matches the reference on every WRN layer shape", "[ops][conv][onednn]") {
  for (const std::string model : {"wrn-16-2", "wrn-28-10"}) {
    INFO(model);
    const auto shapes = model_conv_shapes(model, 2);
    REQUIRE(!shapes.empty());
    for (size_t i = 0; i < shapes.size(); ++i) check_parity(shapes[i], 200 + i);
  }
}

TEST_CASE("oneDNN conv2d matches the reference on every MobileNet layer shape", "[ops][conv][onednn]") {
  const auto shapes = model_conv_shapes("mobilenet", 4);
  bool depthwise = false, pointwise = false, strided = false;
  for (const ConvLayerShape& s : shapes) {
    depthwise |= s.p.groups > 1 && s.w[1] == 1;
    pointwise |= s.w[2] == 1;
    strided |= s.p.stride_h == 2;
  }
  REQUIRE((depthwise && pointwise && strided));
  for (size_t i = 0; i < shapes.size(); ++i) check_parity(shapes[i], 300 + i);
}

TEST_CASE("oneDNN conv2d matches the reference on bias, dilation, groups and asymmetric shapes",
          "[ops][conv][onednn]") {
  Conv2dParams asym = conv_params(1, 0, 1, 1);
  asym.stride_h = 2;
  asym.pad_h = 1;
  asym.pad_w = 2;
  asym.dilation_w = 2;
  const std::vector<ConvLayerShape> shapes{
      {{3, 5, 9, 9}, {7, 5, 3, 3}, conv_params(1, 1, 1, 1), true},
      {{2, 4, 11, 11}, {6, 4, 3, 3}, conv_params(1, 2, 2, 1), false},
      {{2, 8, 8, 8}, {12, 4, 3, 3}, conv_params(2, 1, 1, 2), true},
      {{2, 6, 8, 8}, {12, 1, 3, 3}, conv_params(1, 1, 1, 6), false},  // depthwise, multiplier 2
      {{2, 4, 5, 5}, {6, 4, 1, 1}, conv_params(1, 0, 1, 1), true},   // pointwise with bias
      {{1, 3, 9, 10}, {4, 3, 2, 3}, asym, true},
  };
  for (size_t i = 0; i < shapes.size(); ++i) check_parity(shapes[i], 400 + i);
}

TEST_CASE("oneDNN conv2d reports a shape it cannot run instead of crashing", "[ops][conv][onednn]") {
  // y's spatial size does not follow from x, w and the padding: oneDNN rejects the descriptor.
  Generator gen(5);
  Tensor x = Tensor::randn({1, 2, 6, 6}, gen), w = Tensor::randn({3, 2, 3, 3}, gen);
  Tensor y = Tensor::empty({1, 3, 5, 5});
  const Conv2dParams p = conv_params(1, 1, 1, 1);
  REQUIRE_FALSE(cpu::conv_onednn::forward(view_of(x), view_of(w), ConstView(), mutable_view_of(y), p));
  // Cached as failed: no retry.
  REQUIRE_FALSE(cpu::conv_onednn::forward(view_of(x), view_of(w), ConstView(), mutable_view_of(y), p));

  // Through the dispatcher the call falls back to the reference (which handles any P, Q).
  const cpu::CpuConvCalls before = cpu::cpu_conv_calls();
  cpu::conv2d_forward(view_of(x), view_of(w), ConstView(), mutable_view_of(y), p);
  REQUIRE(cpu::cpu_conv_calls().reference == before.reference + 1);
  Tensor y_ref = Tensor::empty(y.shape());
  cpu::conv_reference::forward(view_of(x), view_of(w), ConstView(), mutable_view_of(y_ref), p);
  REQUIRE_CLOSE(y, y_ref, 0.0, 0.0);
}

TEST_CASE("COHORT_CPU_CONV values", "[ops][conv][cpu_conv_select]") {
  REQUIRE(cpu::parse_cpu_conv_impl(nullptr) == cpu::CpuConvImpl::onednn);
  REQUIRE(cpu::parse_cpu_conv_impl("") == cpu::CpuConvImpl::onednn);
  REQUIRE(cpu::parse_cpu_conv_impl("onednn") == cpu::CpuConvImpl::onednn);
  REQUIRE(cpu::parse_cpu_conv_impl("reference") == cpu::CpuConvImpl::reference);
  REQUIRE_THROWS_AS(cpu::parse_cpu_conv_impl("Reference"), ValueError);
  REQUIRE_THROWS_WITH(cpu::parse_cpu_conv_impl("im2col"),
                      Catch::Contains("COHORT_CPU_CONV='im2col'") && Catch::Contains("'reference'"));
}

// Runs under the suite's own COHORT_CPU_CONV; tests/CMakeLists.txt runs it again with
// COHORT_CPU_CONV=reference and with an invalid value.
TEST_CASE("conv2d takes the implementation COHORT_CPU_CONV selects", "[ops][conv][cpu_conv_select]") {
  Generator gen(7);
  const Conv2dParams p = conv_params(1, 1, 1, 1);
  Tensor x = Tensor::randn({2, 3, 6, 6}, gen), w = Tensor::randn({4, 3, 3, 3}, gen);
  Tensor y = Tensor::empty({2, 4, 6, 6}), gx = Tensor::empty(x.shape()), gw = Tensor::empty(w.shape());
  cpu::CpuConvImpl selected{};
  try {
    selected = cpu::parse_cpu_conv_impl(std::getenv("COHORT_CPU_CONV"));
  } catch (const ValueError&) {
    // An invalid setting: the conv2d itself must fail with the message (the ctest checks it).
    // (in f64, which never reaches oneDNN: the setting must be checked first all the same)
    Tensor y64 = Tensor::empty(y.shape(), DType::f64);
    cpu::conv2d_forward(view_of(x.to(DType::f64)), view_of(w.to(DType::f64)), ConstView(), mutable_view_of(y64), p);
    FAIL("conv2d ran although COHORT_CPU_CONV is invalid");
  }

  cpu::CpuConvCalls before = cpu::cpu_conv_calls();
  cpu::conv2d_forward(view_of(x), view_of(w), ConstView(), mutable_view_of(y), p);
  cpu::conv2d_backward_data(view_of(y), view_of(w), mutable_view_of(gx), p);
  cpu::conv2d_backward_weight(view_of(y), view_of(x), mutable_view_of(gw), p);
  cpu::CpuConvCalls after = cpu::cpu_conv_calls();
  const bool reference = selected == cpu::CpuConvImpl::reference;
  CHECK(after.onednn - before.onednn == (reference ? 0 : 3));
  CHECK(after.reference - before.reference == (reference ? 3 : 0));

  SECTION("f64 always takes the reference") {
    Tensor x64 = x.to(DType::f64), w64 = w.to(DType::f64), y64 = Tensor::empty(y.shape(), DType::f64);
    before = cpu::cpu_conv_calls();
    cpu::conv2d_forward(view_of(x64), view_of(w64), ConstView(), mutable_view_of(y64), p);
    after = cpu::cpu_conv_calls();
    CHECK(after.onednn == before.onednn);
    CHECK(after.reference == before.reference + 1);
  }
}
