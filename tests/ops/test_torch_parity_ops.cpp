// Parity with PyTorch (CPU) for conv2d, batch_norm2d, pooling and (log_)softmax: the same inputs
// (drawn in tests/python/ref_ops.py), outputs and input/parameter gradients, in f64 and f32.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "core/ops/nn.h"
#include "tests/support/tolerance.h"
#include "tests/support/torch_refs.h"

using namespace cohort;

namespace {

struct Tolerance {
  double atol, rtol;
};
// f64 matches up to summation order; f32 to single-precision rounding of O(100)-term sums.
Tolerance tolerance_for(DType dtype) { return dtype == DType::f64 ? Tolerance{1e-10, 1e-10} : Tolerance{2e-4, 2e-4}; }

class Refs {
 public:
  explicit Refs(const std::string& name) : contents_(test::torch_reference(name)) {}
  bool has(const std::string& key) const { return contents_.tensors.count(key) > 0; }
  Tensor get(const std::string& key) const {
    INFO("reference tensor " << key);
    REQUIRE(has(key));
    return contents_.tensors.at(key);
  }
  // An input in `dtype`, as a fresh leaf that requires grad.
  Tensor input(const std::string& key, DType dtype) const {
    return get(key).to(dtype).clone().requires_grad_();
  }
  int cases() const { return std::stoi(contents_.metadata.at("cases")); }

 private:
  safetensors::Contents contents_;
};

#define REQUIRE_MATCHES(got, ref, tol) REQUIRE_CLOSE((got).to(DType::f64), (ref), (tol).atol, (tol).rtol)

}  // namespace

TEST_CASE("conv2d matches PyTorch: outputs and gradients of input, weight and bias", "[ops][conv][torch]") {
  Refs refs("ops_conv2d");
  for (DType dtype : {DType::f64, DType::f32}) {
    const Tolerance tol = tolerance_for(dtype);
    for (int i = 0; i < refs.cases(); ++i) {
      const std::string c = "case" + std::to_string(i) + ".";
      INFO(c << " " << dtype_name(dtype));
      std::vector<int64_t> pv = refs.get(c + "params").to_vector<int64_t>();
      Conv2dParams p;
      p.stride_h = pv[0]; p.stride_w = pv[1]; p.pad_h = pv[2]; p.pad_w = pv[3];
      p.dilation_h = pv[4]; p.dilation_w = pv[5]; p.groups = pv[6];
      const bool has_bias = pv[7] != 0;
      Tensor x = refs.input(c + "x", dtype), w = refs.input(c + "w", dtype);
      Tensor b = has_bias ? refs.input(c + "b", dtype) : Tensor();
      Tensor y = ops::conv2d(x, w, b, p);
      REQUIRE_MATCHES(y, refs.get(c + "y"), tol);
      y.backward(refs.get(c + "gy").to(dtype));
      REQUIRE_MATCHES(x.grad(), refs.get(c + "gx"), tol);
      REQUIRE_MATCHES(w.grad(), refs.get(c + "gw"), tol);
      if (has_bias) REQUIRE_MATCHES(b.grad(), refs.get(c + "gb"), tol);
    }
  }
}

TEST_CASE("batch_norm2d matches PyTorch in training (running stats) and eval", "[ops][batch_norm][torch]") {
  Refs refs("ops_batch_norm2d");
  for (DType dtype : {DType::f64, DType::f32}) {
    const Tolerance tol = tolerance_for(dtype);
    for (int i = 0; i < refs.cases(); ++i) {
      const std::string c = "case" + std::to_string(i) + ".";
      INFO(c << " " << dtype_name(dtype));
      const bool training = refs.get(c + "training").item() != 0;
      const double momentum = refs.get(c + "momentum").item();
      Tensor x = refs.input(c + "x", dtype), w = refs.input(c + "w", dtype), b = refs.input(c + "b", dtype);
      Tensor rm = refs.get(c + "running_mean_in").to(dtype).clone();
      Tensor rv = refs.get(c + "running_var_in").to(dtype).clone();
      Tensor y = ops::batch_norm2d(x, w, b, rm, rv, training, momentum, 1e-5);
      REQUIRE_MATCHES(y, refs.get(c + "y"), tol);
      REQUIRE_MATCHES(rm, refs.get(c + "running_mean_out"), tol);
      REQUIRE_MATCHES(rv, refs.get(c + "running_var_out"), tol);
      y.backward(refs.get(c + "gy").to(dtype));
      REQUIRE_MATCHES(x.grad(), refs.get(c + "gx"), tol);
      REQUIRE_MATCHES(w.grad(), refs.get(c + "gw"), tol);
      REQUIRE_MATCHES(b.grad(), refs.get(c + "gb"), tol);
    }
  }
}

TEST_CASE("max_pool2d and avg_pool2d match PyTorch", "[ops][pool][torch]") {
  Refs refs("ops_pool2d");
  for (DType dtype : {DType::f64, DType::f32}) {
    const Tolerance tol = tolerance_for(dtype);
    for (int i = 0; i < refs.cases(); ++i) {
      const std::string c = "case" + std::to_string(i) + ".";
      INFO(c << " " << dtype_name(dtype));
      std::vector<int64_t> pv = refs.get(c + "params").to_vector<int64_t>();
      Pool2dParams p;
      p.kernel_h = pv[0]; p.kernel_w = pv[1]; p.stride_h = pv[2]; p.stride_w = pv[3];
      p.pad_h = pv[4]; p.pad_w = pv[5]; p.count_include_pad = pv[6] != 0;
      for (const std::string kind : {"max", "avg"}) {
        INFO(kind);
        Tensor x = refs.input(c + "x", dtype);
        Tensor y = kind == "max" ? ops::max_pool2d(x, p) : ops::avg_pool2d(x, p);
        REQUIRE_MATCHES(y, refs.get(c + kind + ".y"), tol);
        y.backward(refs.get(c + "gy").to(dtype));
        REQUIRE_MATCHES(x.grad(), refs.get(c + kind + ".gx"), tol);
      }
    }
  }
}

TEST_CASE("log_softmax and softmax match PyTorch", "[ops][softmax][torch]") {
  Refs refs("ops_softmax");
  for (DType dtype : {DType::f64, DType::f32}) {
    const Tolerance tol = tolerance_for(dtype);
    for (const std::string name : {"log_softmax", "softmax"}) {
      INFO(name << " " << dtype_name(dtype));
      Tensor x = refs.input("x", dtype);
      Tensor y = name == "softmax" ? ops::softmax(x) : ops::log_softmax(x);
      REQUIRE_MATCHES(y, refs.get(name + ".y"), tol);
      y.backward(refs.get(name + ".gy").to(dtype));
      REQUIRE_MATCHES(x.grad(), refs.get(name + ".gx"), tol);
    }
  }
}
