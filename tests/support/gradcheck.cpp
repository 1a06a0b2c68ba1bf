#include "tests/support/gradcheck.h"

#include <catch2/catch.hpp>
#include <cmath>

#include "core/autograd.h"
#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "core/random.h"
#include "tests/support/tolerance.h"

namespace cohort::test {

namespace {
constexpr double kSentinel = 7.25;  // exactly representable; any overwrite shows up

double objective(const std::function<Tensor()>& f, const Tensor& r) {
  NoGradGuard no_grad;
  return ops::sum(ops::mul(f(), r)).item();
}
}  // namespace

Tensor randn64(const Shape& shape, uint64_t seed, bool requires_grad) {
  Generator gen(seed);
  Tensor t = Tensor::randn(shape, gen, DType::f64);
  if (requires_grad) t.requires_grad_();
  return t;
}

void gradcheck_wrt(const std::function<Tensor()>& f, const std::vector<Tensor>& wrt,
                   const GradcheckOptions& opts) {
  for (const Tensor& t : wrt) {
    REQUIRE(t.dtype() == DType::f64);
    REQUIRE(t.is_leaf());
  }
  // Analytic: backward of sum(out · R) with sentinel-prefilled leaf gradients.
  Tensor out = f();
  REQUIRE(out.dtype() == DType::f64);
  Generator gen(opts.seed);
  Tensor r = Tensor::randn(out.shape(), gen, DType::f64);
  for (const Tensor& t : wrt) {
    Tensor tt = t;
    tt.set_grad(Tensor::full(t.shape(), kSentinel, DType::f64));
  }
  ops::sum(ops::mul(out, r)).backward();

  for (size_t k = 0; k < wrt.size(); ++k) {
    Tensor x = wrt[k];
    REQUIRE(x.grad().defined());
    Tensor analytic = ops::add(x.grad().detach(), -kSentinel);
    Tensor numeric = Tensor::zeros(x.shape(), DType::f64);
    std::vector<uint8_t> skip(static_cast<size_t>(x.numel()), 0);
    double* px = x.data<double>();
    double* pn = numeric.data<double>();
    int64_t skipped = 0;
    const double f0 = objective(f, r);
    for (int64_t i = 0; i < x.numel(); ++i) {
      const double orig = px[i];
      px[i] = orig + opts.eps;
      const double fp = objective(f, r);
      px[i] = orig - opts.eps;
      const double fm = objective(f, r);
      px[i] = orig;
      pn[i] = (fp - fm) / (2 * opts.eps);
      // A kink (ReLU at 0, max-pool ties): the one-sided slopes disagree; skip that element.
      double one_sided_gap = std::fabs((fp - f0) - (f0 - fm)) / opts.eps;
      if (one_sided_gap > opts.kink_tol * std::max(1.0, std::fabs(pn[i]))) {
        skip[static_cast<size_t>(i)] = 1;
        ++skipped;
      }
    }
    // Skipped elements compare equal by construction.
    Tensor analytic_kept = analytic.clone();
    double* pa = analytic_kept.data<double>();
    for (int64_t i = 0; i < x.numel(); ++i)
      if (skip[static_cast<size_t>(i)]) pa[i] = pn[i];
    INFO("gradcheck: input " << k << " of shape " << shape_str(x.shape()) << ", skipped " << skipped
                             << " kink elements");
    REQUIRE(static_cast<double>(skipped) <= opts.max_skipped * static_cast<double>(x.numel()) + 0.5);
    REQUIRE_CLOSE(analytic_kept, numeric, opts.atol, opts.rtol);
  }
}

void gradcheck(const TensorFn& f, const std::vector<Tensor>& inputs, const GradcheckOptions& opts) {
  std::vector<Tensor> wrt;
  for (const Tensor& t : inputs)
    if (t.defined() && is_floating(t.dtype()) && t.requires_grad()) wrt.push_back(t);
  REQUIRE(!wrt.empty());
  gradcheck_wrt([&] { return f(inputs); }, wrt, opts);
}

void check_dtype_agreement(const TensorFn& f, const std::vector<Tensor>& inputs_f64, double atol,
                           double rtol) {
  auto run = [&](DType dtype) {
    std::vector<Tensor> xs;
    for (const Tensor& t : inputs_f64) {
      if (!t.defined() || !is_floating(t.dtype())) {
        xs.push_back(t);
        continue;
      }
      Tensor c = t.detach().to(dtype);
      if (c.same(t) || c.impl().storage == t.impl().storage) c = c.clone();
      if (t.requires_grad()) c.requires_grad_();
      xs.push_back(c);
    }
    Tensor out = f(xs);
    Generator gen(99);
    Tensor r = Tensor::randn(out.shape(), gen, DType::f64).to(dtype);
    if (out.requires_grad()) ops::sum(ops::mul(out, r)).backward();
    std::vector<Tensor> result{out.detach()};
    for (const Tensor& x : xs)
      if (x.defined() && x.requires_grad()) result.push_back(x.grad());
    return result;
  };
  std::vector<Tensor> a = run(DType::f64), b = run(DType::f32);
  REQUIRE(a.size() == b.size());
  REQUIRE(b[0].dtype() == DType::f32);
  for (size_t i = 0; i < a.size(); ++i) {
    INFO("dtype agreement: " << (i == 0 ? std::string("output") : fmt::format("gradient of input {}", i - 1)));
    REQUIRE_CLOSE(b[i], a[i], atol, rtol);
  }
}

}  // namespace cohort::test
