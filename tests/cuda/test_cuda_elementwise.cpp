// CUDA parity of the elementwise ops (binary with broadcasting, scalar, unary, in place), the
// copy/shape ops that run kernels (cast, expand, transpose, stack, fill) and the Philox fills.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "core/ops/shape.h"
#include "core/random.h"
#include "tests/cuda/parity.h"

using namespace cohort;
using test::check_parity;
using test::kCpu;
using test::kGpu;
using test::Tol;

namespace {

const DType kFloatTypes[] = {DType::f32, DType::f64};

// Elementwise math differs between glibc and CUDA's libm by an ulp or two.
Tol ew_tol(DType t) { return t == DType::f64 ? Tol{1e-14, 1e-13} : Tol{1e-6, 1e-5}; }

Tensor leaf(const Shape& s, DType t, uint64_t seed) { return test::randn(s, t, seed).requires_grad_(); }

// Values in [0.5, 2.5): safe for log, sqrt, division, fractional powers.
Tensor positive(const Shape& s, DType t, uint64_t seed) {
  Generator gen(seed);
  Tensor u = Tensor::rand(s, gen, t);
  return ops::add(ops::mul(u, 2.0), 0.5).detach().requires_grad_();
}

struct BroadcastCase {
  Shape a, b;
};

// Same shape, scalar tensor on either side, per-channel, bias, both sides broadcast, odd sizes.
const BroadcastCase kBroadcasts[] = {
    {{4, 3, 5, 6}, {4, 3, 5, 6}}, {{4, 3, 5, 6}, {}},        {{}, {2, 7}},
    {{4, 3, 5, 6}, {3, 1, 1}},    {{3, 1, 1}, {4, 3, 5, 6}}, {{4, 3, 5, 6}, {1, 3, 1, 1}},
    {{4, 1, 5, 6}, {4, 3, 1, 1}}, {{33, 17}, {17}},          {{4, 1, 3}, {1, 5, 1}},
    {{1}, {1000003}},             {{2, 3, 4, 5, 6}, {3, 1, 5, 1}},
};

}  // namespace

TEST_CASE("CUDA binary ops with broadcasting match the CPU, forward and backward", "[cuda][elementwise]") {
  using BinFn = Tensor (*)(const Tensor&, const Tensor&);
  const std::pair<const char*, BinFn> ops_[] = {
      {"add", ops::add}, {"sub", ops::sub}, {"mul", ops::mul}, {"div", ops::div}, {"maximum", ops::maximum}};
  for (DType dtype : kFloatTypes) {
    for (const auto& [name, fn] : ops_) {
      for (const BroadcastCase& c : kBroadcasts) {
        INFO(name << " " << shape_str(c.a) << " with " << shape_str(c.b) << " " << dtype_name(dtype));
        Tensor a = leaf(c.a, dtype, 1);
        Tensor b = std::string(name) == "div" ? positive(c.b, dtype, 2) : leaf(c.b, dtype, 2);
        // Broadcast gradients are sums over up to 1e6 elements: the reduction order shows.
        const Tol tol = dtype == DType::f64 ? Tol{1e-11, 1e-11} : Tol{1e-4, 1e-4};
        check_parity([fn = fn](const std::vector<Tensor>& in) { return fn(in[0], in[1]); }, {a, b},
                     ew_tol(dtype), tol);
      }
    }
  }
  // A gradient to one side only.
  Tensor a = leaf({5, 4}, DType::f32, 3), b = test::randn({4}, DType::f32, 4);
  check_parity([](const std::vector<Tensor>& in) { return ops::mul(in[0], in[1]); }, {a, b},
               ew_tol(DType::f32));
}

TEST_CASE("CUDA scalar and unary ops match the CPU, forward and backward", "[cuda][elementwise]") {
  for (DType dtype : kFloatTypes) {
    for (int64_t n : {int64_t{1}, int64_t{1000}, int64_t{(1 << 20) + 7}}) {
      INFO(dtype_name(dtype) << ", " << n << " elements");
      Tensor x = leaf({n}, dtype, 10), xp = positive({n}, dtype, 11);
      const std::pair<std::string, test::OpFn> cases[] = {
          {"add scalar", [](const std::vector<Tensor>& v) { return ops::add(v[0], 1.25); }},
          {"mul scalar", [](const std::vector<Tensor>& v) { return ops::mul(v[0], -0.75); }},
          {"rsub", [](const std::vector<Tensor>& v) { return ops::rsub(v[0], 3.0); }},
          {"operators", [](const std::vector<Tensor>& v) { return (2.0 - v[0]) * 3.0 / 4.0 + 1.0; }},
          {"neg", [](const std::vector<Tensor>& v) { return ops::neg(v[0]); }},
          {"exp", [](const std::vector<Tensor>& v) { return ops::exp(v[0]); }},
          {"relu", [](const std::vector<Tensor>& v) { return ops::relu(v[0]); }},
          {"sigmoid", [](const std::vector<Tensor>& v) { return ops::sigmoid(v[0]); }},
          {"tanh", [](const std::vector<Tensor>& v) { return ops::tanh(v[0]); }},
          {"abs", [](const std::vector<Tensor>& v) { return ops::abs(v[0]); }},
          {"square", [](const std::vector<Tensor>& v) { return ops::square(v[0]); }},
          {"pow 3", [](const std::vector<Tensor>& v) { return ops::pow(v[0], 3.0); }},
      };
      for (const auto& [name, f] : cases) {
        INFO(name);
        check_parity(f, {x}, ew_tol(dtype));
      }
      const std::pair<std::string, test::OpFn> positive_cases[] = {
          {"log", [](const std::vector<Tensor>& v) { return ops::log(v[0]); }},
          {"sqrt", [](const std::vector<Tensor>& v) { return ops::sqrt(v[0]); }},
          {"pow 0.5", [](const std::vector<Tensor>& v) { return ops::pow(v[0], 0.5); }},
          {"pow -1.5", [](const std::vector<Tensor>& v) { return ops::pow(v[0], -1.5); }},
          {"rdiv", [](const std::vector<Tensor>& v) { return ops::rdiv(v[0], 2.0); }},
      };
      for (const auto& [name, f] : positive_cases) {
        INFO(name);
        check_parity(f, {xp}, ew_tol(dtype));
      }
    }
  }
}

TEST_CASE("CUDA in-place add_/mul_ and fills match the CPU", "[cuda][elementwise]") {
  for (DType dtype : kFloatTypes) {
    INFO(dtype_name(dtype));
    Tensor y = test::randn({1001}, dtype, 20), x = test::randn({1001}, dtype, 21);
    Tensor yc = y.clone(), yg = y.to(kGpu);
    ops::add_(yc, x, -0.5);
    ops::add_(yg, x.to(kGpu), -0.5);
    ops::mul_(yc, 3.0);
    ops::mul_(yg, 3.0);
    REQUIRE_CLOSE(test::from_gpu(yg), yc, 1e-6, 1e-6);
  }
  for (DType dtype : {DType::f32, DType::f64, DType::i64, DType::u8}) {
    INFO(dtype_name(dtype));
    REQUIRE(Tensor::full({3, 333}, 7.0, dtype, kGpu).to_vector<double>() == std::vector<double>(999, 7.0));
    REQUIRE(Tensor::zeros({0}, dtype, kGpu).numel() == 0);
    REQUIRE(Tensor::arange(257, dtype, kGpu).to_vector<double>() == Tensor::arange(257, dtype).to_vector<double>());
  }
}

TEST_CASE("CUDA casts between every pair of dtypes match the CPU", "[cuda][elementwise]") {
  // Values in [0, 200) with fractional parts: every conversion (truncation to integers) is defined.
  Generator gen(30);
  Tensor src = ops::mul(Tensor::rand({3001}, gen, DType::f64), 200.0);
  const DType all[] = {DType::f32, DType::f64, DType::i64, DType::u8};
  for (DType from : all) {
    for (DType to : all) {
      INFO(dtype_name(from) << " -> " << dtype_name(to));
      Tensor s = src.to(from);
      REQUIRE(s.to(kGpu).to(to).to_vector<double>() == s.to(to).to_vector<double>());
    }
  }
  // Autograd through a cast on the GPU.
  Tensor x = leaf({4, 5}, DType::f64, 31);
  check_parity([](const std::vector<Tensor>& v) { return ops::to_dtype(v[0], DType::f32); }, {x},
               Tol{0, 0});
}

TEST_CASE("CUDA expand, transpose2d, stack and clone match the CPU", "[cuda][elementwise]") {
  for (DType dtype : kFloatTypes) {
    INFO(dtype_name(dtype));
    const Tol exact{0, 0};
    check_parity([](const std::vector<Tensor>& v) { return ops::expand(v[0], {4, 3, 5, 6}); },
                 {leaf({3, 1, 1}, dtype, 40)}, exact, test::default_tol(dtype));
    check_parity([](const std::vector<Tensor>& v) { return ops::expand(v[0], {7, 1, 9}); },
                 {leaf({1, 1, 9}, dtype, 41)}, exact, test::default_tol(dtype));
    for (const Shape& s : {Shape{1, 1}, Shape{1, 17}, Shape{33, 65}, Shape{1024, 3}}) {
      INFO("transpose " << shape_str(s));
      check_parity([](const std::vector<Tensor>& v) { return ops::transpose2d(v[0]); },
                   {leaf(s, dtype, 42)}, exact);
    }
    // The layout conversions: transpose2d batched over N (blockIdx.z), forward and backward.
    for (const Shape& s : {Shape{2, 3, 5, 7}, Shape{4, 64, 8, 8}, Shape{1, 33, 2, 17}}) {
      INFO("to_channels_last / to_channels_first " << shape_str(s));
      check_parity([](const std::vector<Tensor>& v) { return ops::to_channels_last(v[0]); },
                   {leaf(s, dtype, 47)}, exact);
      check_parity([](const std::vector<Tensor>& v) { return ops::to_channels_first(v[0]); },
                   {leaf(s, dtype, 48)}, exact);
    }
    check_parity([](const std::vector<Tensor>& v) { return ops::stack({v[0], v[1], v[2]}); },
                 {leaf({2, 3}, dtype, 43), leaf({2, 3}, dtype, 44), leaf({2, 3}, dtype, 45)}, exact);
    check_parity([](const std::vector<Tensor>& v) { return ops::clone(v[0]); }, {leaf({5, 5}, dtype, 46)},
                 exact);
  }
  // transpose2d of integers (no autograd).
  Tensor ints = Tensor::arange(35, DType::i64).reshape({5, 7});
  REQUIRE(ops::transpose2d(ints.to(kGpu)).to_vector<int64_t>() == ops::transpose2d(ints).to_vector<int64_t>());
}

TEST_CASE("CUDA Philox fills give the CPU's numbers for the same seed", "[cuda][random]") {
  for (DType dtype : kFloatTypes) {
    for (int64_t n : {int64_t{1}, int64_t{3}, int64_t{1000}, int64_t{(1 << 20) + 5}}) {
      INFO(dtype_name(dtype) << ", " << n << " elements");
      Generator gc(77), gg(77);
      // Uniform and Bernoulli: bit for bit; the generators advance alike.
      REQUIRE(Tensor::rand({n}, gg, dtype, kGpu).to_vector<double>() ==
              Tensor::rand({n}, gc, dtype).to_vector<double>());
      REQUIRE(bernoulli({n}, 0.3, gg, dtype, kGpu).to_vector<double>() ==
              bernoulli({n}, 0.3, gc, dtype).to_vector<double>());
      Tensor u_c = Tensor::empty({n}, dtype), u_g = Tensor::empty({n}, dtype, kGpu);
      uniform_(u_c, gc, -2.0, 5.0);
      uniform_(u_g, gg, -2.0, 5.0);
      REQUIRE(u_g.to_vector<double>() == u_c.to_vector<double>());
      // Normal: Box-Muller's log/sin/cos may differ in the last ulp.
      Tensor n_c = Tensor::empty({n}, dtype), n_g = Tensor::empty({n}, dtype, kGpu);
      normal_(n_c, gc, 1.0, 2.0);
      normal_(n_g, gg, 1.0, 2.0);
      // One ulp of radius and angle, scaled by std 2 and a radius up to ~6.
      const double tol = dtype == DType::f64 ? 1e-13 : 1e-5;
      REQUIRE_CLOSE(test::from_gpu(n_g), n_c, tol, tol);
      REQUIRE(gg.offset() == gc.offset());
    }
  }
}
