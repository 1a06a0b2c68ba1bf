// cohort.ops: the Tensor ops of core/ops, recorded by autograd. Kernels run without the GIL.
#include <string>
#include <vector>

#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "bindings.h"
#include "convert.h"
#include "core/ops/elementwise.h"
#include "core/ops/linalg.h"
#include "core/ops/losses.h"
#include "core/ops/nn.h"
#include "core/ops/reduce.h"
#include "core/ops/shape.h"

namespace nb = nanobind;

namespace cohort::python {

namespace {

using UnaryOp = Tensor (*)(const Tensor&);
using BinaryOp = Tensor (*)(const Tensor&, const Tensor&);

DmlMode parse_dml_mode(const std::string& name) {
  if (name == "average") return DmlMode::average;
  if (name == "sum") return DmlMode::sum;
  if (name == "ensemble") return DmlMode::ensemble;
  throw ValueError(fmt::format("dml_mimicry: unknown mode '{}' (average, sum or ensemble)", name));
}

// An undefined Tensor stands for None (optional bias, running statistics).
Tensor or_undefined(const Tensor* t) { return t ? *t : Tensor(); }

void bind_elementwise(nb::module_& ops) {
  const std::pair<const char*, UnaryOp> unary[] = {
      {"neg", &ops::neg}, {"exp", &ops::exp}, {"log", &ops::log}, {"sqrt", &ops::sqrt},
      {"relu", &ops::relu}, {"sigmoid", &ops::sigmoid}, {"tanh", &ops::tanh}, {"abs", &ops::abs},
      {"square", &ops::square}, {"softmax", &ops::softmax}, {"log_softmax", &ops::log_softmax},
      {"global_avg_pool2d", &ops::global_avg_pool2d}, {"argmax", &ops::argmax},
      {"clone", &ops::clone}, {"transpose2d", &ops::transpose2d}};
  for (const auto& [name, fn] : unary) ops.def(name, fn, nb::arg("x"), release_gil());

  const std::pair<const char*, BinaryOp> binary[] = {
      {"add", &ops::add}, {"sub", &ops::sub}, {"mul", &ops::mul}, {"div", &ops::div},
      {"maximum", &ops::maximum}, {"matmul", &ops::matmul}, {"hint_mse", &ops::hint_mse},
      {"fsp_matrix", &ops::fsp_matrix}};
  for (const auto& [name, fn] : binary) ops.def(name, fn, nb::arg("a"), nb::arg("b"), release_gil());

  ops.def("pow", &ops::pow, nb::arg("x"), nb::arg("exponent"), release_gil());
  ops.def("linear", [](const Tensor& x, const Tensor& w, const Tensor* b) {
            return ops::linear(x, w, or_undefined(b));
          }, nb::arg("x"), nb::arg("weight"), nb::arg("bias").none() = nb::none(), release_gil());
  ops.def("gemm", &ops::gemm, nb::arg("a"), nb::arg("trans_a"), nb::arg("b"), nb::arg("trans_b"),
          nb::arg("alpha") = 1.0, release_gil());
}

void bind_shape_and_reduce(nb::module_& ops) {
  ops.def("sum", nb::overload_cast<const Tensor&>(&ops::sum), nb::arg("x"), release_gil());
  ops.def("sum", nb::overload_cast<const Tensor&, const std::vector<int64_t>&, bool>(&ops::sum),
          nb::arg("x"), nb::arg("dims"), nb::arg("keepdim") = false, release_gil());
  ops.def("mean", nb::overload_cast<const Tensor&>(&ops::mean), nb::arg("x"), release_gil());
  ops.def("mean", nb::overload_cast<const Tensor&, const std::vector<int64_t>&, bool>(&ops::mean),
          nb::arg("x"), nb::arg("dims"), nb::arg("keepdim") = false, release_gil());
  ops.def("reshape", &ops::reshape, nb::arg("x"), nb::arg("shape"), release_gil());
  ops.def("flatten", &ops::flatten, nb::arg("x"), nb::arg("start_dim") = 0, nb::arg("end_dim") = -1,
          release_gil());
  ops.def("slice", &ops::slice, nb::arg("x"), nb::arg("start"), nb::arg("end"), release_gil());
  ops.def("expand", &ops::expand, nb::arg("x"), nb::arg("shape"), release_gil());
  ops.def("stack", &ops::stack, nb::arg("tensors"), release_gil());
  ops.def("concat_channels", &ops::concat_channels, nb::arg("tensors"), release_gil());
}

void bind_nn(nb::module_& ops) {
  ops.def("conv2d", [](const Tensor& x, const Tensor& w, const Tensor* b, std::vector<int64_t> stride,
                       std::vector<int64_t> padding, std::vector<int64_t> dilation, int64_t groups) {
            COHORT_CHECK(stride.size() == 2 && padding.size() == 2 && dilation.size() == 2,
                         "conv2d: stride, padding and dilation take two values (h, w)");
            Conv2dParams p{stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1], groups};
            return ops::conv2d(x, w, or_undefined(b), p);
          }, nb::arg("x"), nb::arg("weight"), nb::arg("bias").none() = nb::none(),
          nb::arg("stride") = std::vector<int64_t>{1, 1}, nb::arg("padding") = std::vector<int64_t>{0, 0},
          nb::arg("dilation") = std::vector<int64_t>{1, 1}, nb::arg("groups") = 1, release_gil());
  ops.def("batch_norm2d", [](const Tensor& x, const Tensor* w, const Tensor* b, const Tensor* mean,
                             const Tensor* var, bool training, double momentum, double eps) {
            return ops::batch_norm2d(x, or_undefined(w), or_undefined(b), or_undefined(mean),
                                     or_undefined(var), training, momentum, eps);
          }, nb::arg("x"), nb::arg("weight").none(), nb::arg("bias").none(),
          nb::arg("running_mean").none(), nb::arg("running_var").none(), nb::arg("training"),
          nb::arg("momentum") = 0.1, nb::arg("eps") = 1e-5, release_gil());
  for (const char* name : {"max_pool2d", "avg_pool2d"}) {
    bool is_max = std::string(name) == "max_pool2d";
    ops.def(name, [is_max](const Tensor& x, int64_t kernel, int64_t stride, int64_t padding) {
              Pool2dParams p{kernel, kernel, stride, stride, padding, padding, true};
              return is_max ? ops::max_pool2d(x, p) : ops::avg_pool2d(x, p);
            }, nb::arg("x"), nb::arg("kernel"), nb::arg("stride"), nb::arg("padding") = 0, release_gil());
  }
  ops.def("dropout", [](const Tensor& x, double p, bool training, uint64_t seed) {
            Generator gen(seed);
            return ops::dropout(x, p, training, gen);
          }, nb::arg("x"), nb::arg("p"), nb::arg("training"), nb::arg("seed") = 0, release_gil());
}

void bind_losses(nb::module_& ops) {
  ops.def("cross_entropy", [](const Tensor& logits, const Tensor& labels, double label_smoothing,
                              int64_t ignore_index) {
            return ops::cross_entropy(logits, labels, {label_smoothing, ignore_index});
          }, nb::arg("logits"), nb::arg("labels"), nb::arg("label_smoothing") = 0.0,
          nb::arg("ignore_index") = -100, release_gil());
  ops.def("kd_kl", [](const Tensor& student, const Tensor& teacher, double temperature,
                      bool teacher_is_probs, bool teacher_requires_grad) {
            return ops::kd_kl(student, teacher, temperature, {teacher_is_probs, teacher_requires_grad});
          }, nb::arg("student"), nb::arg("teacher"), nb::arg("temperature"),
          nb::arg("teacher_is_probs") = false, nb::arg("teacher_requires_grad") = false, release_gil());
  ops.def("dml_mimicry", [](const std::vector<Tensor>& logits, double temperature, const std::string& mode) {
            return ops::dml_mimicry(logits, temperature, {parse_dml_mode(mode)});
          }, nb::arg("logits"), nb::arg("temperature"), nb::arg("mode") = "average", release_gil());
  ops.def("fsp_loss", &ops::fsp_loss, nb::arg("gs"), nb::arg("gt"), nb::arg("weight") = 1.0, release_gil());
}

}  // namespace

void bind_ops(nb::module_& m) {
  nb::module_ ops = m.def_submodule("ops", "Tensor ops with autograd (core/ops)");
  bind_elementwise(ops);
  bind_shape_and_reduce(ops);
  bind_nn(ops);
  bind_losses(ops);
}

}  // namespace cohort::python
