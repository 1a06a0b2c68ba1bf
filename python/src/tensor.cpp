// cohort.Tensor: properties, DLPack/NumPy exchange, autograd, arithmetic operators, factories.
#include <cstdint>
#include <vector>

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "bindings.h"
#include "convert.h"
#include "core/autograd.h"
#include "core/ops/elementwise.h"
#include "core/ops/linalg.h"
#include "core/random.h"
#include "core/tensor.h"

namespace nb = nanobind;

namespace cohort::python {

namespace {

nb::tuple shape_tuple(const Tensor& t) {
  nb::list dims;
  for (int64_t d : t.shape()) dims.append(d);
  return nb::tuple(dims);
}

Device parse_device(const std::string& name) { return Device::parse(name); }

// numpy.asarray(t) / t.numpy(): a NumPy array over the same memory (CPU tensors only).
nb::object to_numpy(const Tensor& t) {
  COHORT_CHECK(t.device().is_cpu(), "Tensor.numpy: the tensor is on {}; copy it with .to('cpu') first",
               t.device().str());
  nb::ndarray<nb::numpy> array(tensor_to_ndarray(t));
  return nb::cast(array);
}

}  // namespace

void bind_tensor(nb::module_& m) {
  nb::class_<Tensor>(m, "Tensor", "A cohort tensor: contiguous, row-major, on one device")
      .def_prop_ro("shape", &shape_tuple)
      .def_prop_ro("ndim", &Tensor::dim)
      .def("numel", &Tensor::numel)
      .def_prop_ro("dtype", [](const Tensor& t) { return std::string(dtype_name(t.dtype())); })
      .def_prop_ro("device", [](const Tensor& t) { return t.device().str(); })
      .def_prop_ro("data_ptr", [](const Tensor& t) { return reinterpret_cast<uintptr_t>(t.raw_data()); },
                   "Address of the first element (equal to the exporter's for zero-copy views)")
      .def_prop_rw("requires_grad", &Tensor::requires_grad,
                   [](Tensor& t, bool on) { t.requires_grad_(on); })
      .def("requires_grad_", [](Tensor& t, bool on) { t.requires_grad_(on); return t; },
           nb::arg("requires_grad") = true)
      .def_prop_ro("is_leaf", &Tensor::is_leaf)
      .def_prop_ro("grad", [](const Tensor& t) -> nb::object {
        Tensor g = t.grad();
        return g.defined() ? nb::cast(g) : nb::none();
      })
      .def("zero_grad", &Tensor::zero_grad, nb::arg("set_to_none") = true)
      .def("backward", [](const Tensor& t, const Tensor* grad, bool retain_graph) {
             t.backward(grad ? *grad : Tensor(), retain_graph);
           }, nb::arg("grad").none() = nb::none(), nb::arg("retain_graph") = false, release_gil())
      .def("detach", &Tensor::detach)
      .def("clone", &Tensor::clone, release_gil())
      .def("item", [](const Tensor& t) { return t.item(); }, release_gil())
      .def("to", [](const Tensor& t, const std::string& target) {
             // A dtype name or a device name, like torch.Tensor.to.
             if (auto dtype = dtype_from_name(target)) return t.to(*dtype);
             COHORT_CHECK(target == "cpu" || target.rfind("cuda", 0) == 0,
                          "Tensor.to: unknown dtype or device '{}' (f32, f64, i64, u8; cpu, cuda, cuda:N)",
                          target);
             return t.to(parse_device(target));
           }, nb::arg("dtype_or_device"), release_gil())
      .def("reshape", [](const Tensor& t, const Shape& shape) { return t.reshape(shape); })
      .def("numpy", &to_numpy)
      .def("__array__", [](const Tensor& t, nb::object dtype, nb::object copy) {
             nb::object array = to_numpy(t);
             if (!dtype.is_none()) array = array.attr("astype")(dtype, nb::arg("copy") = false);
             if (!copy.is_none() && nb::cast<bool>(copy)) array = array.attr("copy")();
             return array;
           }, nb::arg("dtype").none() = nb::none(), nb::arg("copy").none() = nb::none())
      // A DLPack capsule. `stream` and the other keywords need no handling: CUDA tensors are
      // synchronised before export, which orders them before any consumer stream.
      .def("__dlpack__", [](const Tensor& t, nb::kwargs) { return nb::cast(tensor_to_ndarray(t)); })
      .def("__dlpack_device__", [](const Tensor& t) {
             int32_t type = t.device().is_cpu() ? nb::device::cpu::value : nb::device::cuda::value;
             return nb::make_tuple(type, t.device().index);
           })
      .def("__repr__", &Tensor::str)
      .def("__len__", [](const Tensor& t) {
             COHORT_CHECK(t.dim() > 0, "len() of a 0-d tensor");
             return t.size(0);
           })
      .def("__getitem__", [](const Tensor& t, int64_t i) {
             // Python indexing: negative counts from the end; out of range is an IndexError.
             COHORT_CHECK(t.dim() > 0, "indexing a 0-d tensor");
             int64_t n = t.size(0);
             if (i < -n || i >= n)
               throw nb::index_error(fmt::format("index {} is out of range for shape {}", i,
                                                 shape_str(t.shape())).c_str());
             return t[i < 0 ? i + n : i];
           })
      .def("__add__", [](const Tensor& a, const Tensor& b) { return a + b; }, release_gil())
      .def("__add__", [](const Tensor& a, double b) { return a + b; }, release_gil())
      .def("__radd__", [](const Tensor& a, double b) { return b + a; }, release_gil())
      .def("__sub__", [](const Tensor& a, const Tensor& b) { return a - b; }, release_gil())
      .def("__sub__", [](const Tensor& a, double b) { return a - b; }, release_gil())
      .def("__rsub__", [](const Tensor& a, double b) { return b - a; }, release_gil())
      .def("__mul__", [](const Tensor& a, const Tensor& b) { return a * b; }, release_gil())
      .def("__mul__", [](const Tensor& a, double b) { return a * b; }, release_gil())
      .def("__rmul__", [](const Tensor& a, double b) { return b * a; }, release_gil())
      .def("__truediv__", [](const Tensor& a, const Tensor& b) { return a / b; }, release_gil())
      .def("__truediv__", [](const Tensor& a, double b) { return a / b; }, release_gil())
      .def("__rtruediv__", [](const Tensor& a, double b) { return ops::rdiv(a, b); }, release_gil())
      .def("__neg__", [](const Tensor& a) { return -a; }, release_gil())
      .def("__matmul__", [](const Tensor& a, const Tensor& b) { return ops::matmul(a, b); }, release_gil());

  m.def("from_dlpack", [](nb::ndarray<> array) { return tensor_from_ndarray(array); }, nb::arg("array"),
        "A cohort tensor over the memory of any DLPack or buffer-protocol array (no copy)");

  m.def("zeros", [](const Shape& shape, const std::string& dtype, const std::string& device) {
          return Tensor::zeros(shape, parse_dtype(dtype), parse_device(device));
        }, nb::arg("shape"), nb::arg("dtype") = "f32", nb::arg("device") = "cpu");
  m.def("ones", [](const Shape& shape, const std::string& dtype, const std::string& device) {
          return Tensor::ones(shape, parse_dtype(dtype), parse_device(device));
        }, nb::arg("shape"), nb::arg("dtype") = "f32", nb::arg("device") = "cpu");
  m.def("full", [](const Shape& shape, double value, const std::string& dtype, const std::string& device) {
          return Tensor::full(shape, value, parse_dtype(dtype), parse_device(device));
        }, nb::arg("shape"), nb::arg("value"), nb::arg("dtype") = "f32", nb::arg("device") = "cpu");
  m.def("arange", [](int64_t n, const std::string& dtype, const std::string& device) {
          return Tensor::arange(n, parse_dtype(dtype), parse_device(device));
        }, nb::arg("n"), nb::arg("dtype") = "f32", nb::arg("device") = "cpu");
  m.def("randn", [](const Shape& shape, uint64_t seed, const std::string& dtype, const std::string& device) {
          Generator gen(seed);
          return Tensor::randn(shape, gen, parse_dtype(dtype), parse_device(device));
        }, nb::arg("shape"), nb::arg("seed") = 0, nb::arg("dtype") = "f32", nb::arg("device") = "cpu");
  m.def("rand", [](const Shape& shape, uint64_t seed, const std::string& dtype, const std::string& device) {
          Generator gen(seed);
          return Tensor::rand(shape, gen, parse_dtype(dtype), parse_device(device));
        }, nb::arg("shape"), nb::arg("seed") = 0, nb::arg("dtype") = "f32", nb::arg("device") = "cpu");

  m.def("grad_enabled", &autograd::grad_enabled);
  m.def("set_grad_enabled", &autograd::set_grad_enabled, nb::arg("on"));
}

}  // namespace cohort::python
