#include "core/tensor.h"

#include <cstring>

#include "core/autograd.h"
#include "core/backend.h"
#include "core/kernel_views.h"
#include "core/ops/elementwise.h"
#include "core/ops/shape.h"
#include "core/random.h"
#include "kernels/elementwise.h"

namespace cohort {

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string shape_str(const Shape& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

TensorImpl& Tensor::impl() const {
  if (!impl_) throw ValueError("use of an undefined Tensor");
  return *impl_;
}

// ---- factories ---------------------------------------------------------------------------

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  for (int64_t d : shape)
    COHORT_CHECK(d >= 0, "Tensor::empty: negative dimension in shape {}", shape_str(shape));
  auto impl = std::make_shared<TensorImpl>();
  impl->storage =
      std::make_shared<Storage>(static_cast<size_t>(shape_numel(shape)) * dtype_size(dtype), device);
  impl->shape = shape;
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor Tensor::full(const Shape& shape, double value, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  t.fill_(value);
  return t;
}
Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) {
  return full(shape, 0.0, dtype, device);
}
Tensor Tensor::ones(const Shape& shape, DType dtype, Device device) {
  return full(shape, 1.0, dtype, device);
}
Tensor Tensor::scalar(double value, DType dtype, Device device) {
  return full(Shape{}, value, dtype, device);
}

Tensor Tensor::arange(int64_t n, DType dtype, Device device) {
  COHORT_CHECK(n >= 0, "arange: n must be >= 0, got {}", n);
  Tensor t = empty({n}, dtype, Device::cpu());
  COHORT_DISPATCH_ALL(dtype, "arange", [&] {
    auto* p = t.data<scalar_t>();
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<scalar_t>(i);
  });
  return device.is_cpu() ? t : t.to(device);
}

Tensor Tensor::rand(const Shape& shape, Generator& gen, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  return uniform_(t, gen);
}

Tensor Tensor::randn(const Shape& shape, Generator& gen, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  return normal_(t, gen);
}

template <typename T>
Tensor Tensor::from_vector(const std::vector<T>& values, const Shape& shape, Device device) {
  COHORT_CHECK(static_cast<int64_t>(values.size()) == shape_numel(shape),
               "from_vector: {} values do not fill shape {}", values.size(), shape_str(shape));
  Tensor t = empty(shape, dtype_of<T>, Device::cpu());
  if (!values.empty()) std::memcpy(t.raw_data(), values.data(), values.size() * sizeof(T));
  return device.is_cpu() ? t : t.to(device);
}
template Tensor Tensor::from_vector(const std::vector<float>&, const Shape&, Device);
template Tensor Tensor::from_vector(const std::vector<double>&, const Shape&, Device);
template Tensor Tensor::from_vector(const std::vector<int64_t>&, const Shape&, Device);
template Tensor Tensor::from_vector(const std::vector<uint8_t>&, const Shape&, Device);

// ---- properties --------------------------------------------------------------------------

int64_t Tensor::size(int64_t d) const {
  int64_t n = dim();
  int64_t dd = d < 0 ? d + n : d;
  COHORT_CHECK(dd >= 0 && dd < n, "Tensor::size: dim {} out of range for shape {}", d,
               shape_str(shape()));
  return shape()[static_cast<size_t>(dd)];
}

void* Tensor::raw_data() const {
  const TensorImpl& t = impl();
  return static_cast<char*>(t.storage->data()) + t.offset * static_cast<int64_t>(dtype_size(t.dtype));
}

// ---- views -------------------------------------------------------------------------------

Tensor Tensor::reshape(const Shape& shape) const { return ops::reshape(*this, shape); }
Tensor Tensor::flatten(int64_t start_dim, int64_t end_dim) const {
  return ops::flatten(*this, start_dim, end_dim);
}
Tensor Tensor::slice(int64_t start, int64_t end) const { return ops::slice(*this, start, end); }
Tensor Tensor::operator[](int64_t i) const {
  Shape rest(shape().begin() + 1, shape().end());
  return ops::slice(*this, i, i + 1).reshape(rest);
}

// ---- copies ------------------------------------------------------------------------------

Tensor Tensor::to(DType dtype) const { return ops::to_dtype(*this, dtype); }
Tensor Tensor::to(Device device) const { return ops::to_device(*this, device); }
Tensor Tensor::clone() const { return ops::clone(*this); }

Tensor Tensor::to(Device device, bool non_blocking) const {
  if (!non_blocking || device == this->device() || !is_pinned()) return to(device);
  COHORT_CHECK(!requires_grad() || !autograd::grad_enabled(),
               "to(non_blocking): not recorded by autograd; detach() the tensor first");
  Tensor out = Tensor::empty(shape(), dtype(), device);
  backend::copy_bytes_async(out.raw_data(), device, raw_data(), this->device(), nbytes());
  return out;
}

Tensor Tensor::pin_memory() const {
  COHORT_CHECK(device().is_cpu(), "pin_memory: tensor is on {}, not the CPU", device().str());
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = Storage::pinned(nbytes());
  impl->shape = shape();
  impl->dtype = dtype();
  Tensor out(std::move(impl));
  backend::copy_bytes(out.raw_data(), Device::cpu(), raw_data(), Device::cpu(), nbytes());
  return out;
}

bool Tensor::is_pinned() const { return impl().storage->is_pinned(); }

double Tensor::item() const {
  COHORT_CHECK(numel() == 1, "item: tensor has {} elements (shape {}), expected 1", numel(),
               shape_str(shape()));
  Tensor host = device().is_cpu() ? *this : detach().to(Device::cpu());
  return COHORT_DISPATCH_ALL(dtype(), "item",
                             [&] { return static_cast<double>(*host.data<scalar_t>()); });
}

template <typename T>
std::vector<T> Tensor::to_vector() const {
  Tensor host = device().is_cpu() ? *this : detach().to(Device::cpu());
  if (host.dtype() != dtype_of<T>) host = host.detach().to(dtype_of<T>);
  const T* p = host.data<T>();
  return std::vector<T>(p, p + host.numel());
}
template std::vector<float> Tensor::to_vector() const;
template std::vector<double> Tensor::to_vector() const;
template std::vector<int64_t> Tensor::to_vector() const;
template std::vector<uint8_t> Tensor::to_vector() const;

// ---- in-place ----------------------------------------------------------------------------

Tensor& Tensor::fill_(double value) {
  COHORT_DISPATCH(device(), fill, flat_view_of(*this), value);
  return *this;
}

Tensor& Tensor::copy_(const Tensor& src) {
  COHORT_CHECK(src.shape() == shape(), "copy_: source shape {} != destination shape {}",
               shape_str(src.shape()), shape_str(shape()));
  Tensor s = src.dtype() == dtype() ? src : src.detach().to(dtype());
  backend::copy_bytes(raw_data(), device(), s.raw_data(), s.device(), nbytes());
  return *this;
}

// ---- autograd ----------------------------------------------------------------------------

Tensor& Tensor::requires_grad_(bool on) {
  COHORT_CHECK(is_leaf(), "requires_grad_: only leaf tensors can change requires_grad "
                          "(use detach() for a non-leaf)");
  COHORT_CHECK(!on || is_floating(dtype()), "requires_grad_: dtype {} cannot require grad",
               dtype_name(dtype()));
  impl().requires_grad = on;
  return *this;
}

void Tensor::set_grad(const Tensor& g) {
  if (g.defined())
    COHORT_CHECK(g.shape() == shape() && g.dtype() == dtype() && g.device() == device(),
                 "set_grad: gradient {} {} does not match tensor {} {}", shape_str(g.shape()),
                 dtype_name(g.dtype()), shape_str(shape()), dtype_name(dtype()));
  impl().grad = g.impl_ptr();
}

void Tensor::zero_grad(bool set_to_none) {
  if (set_to_none || !impl().grad) {
    impl().grad.reset();
  } else {
    Tensor(impl().grad).zero_();
  }
}

Tensor Tensor::detach() const {
  auto out = std::make_shared<TensorImpl>();
  out->storage = impl().storage;
  out->shape = impl().shape;
  out->dtype = impl().dtype;
  out->offset = impl().offset;
  return Tensor(std::move(out));
}

void Tensor::backward(const Tensor& grad, bool retain_graph) const {
  autograd::run_backward(*this, grad, retain_graph);
}

// ---- printing ----------------------------------------------------------------------------

std::string Tensor::str() const {
  if (!defined()) return "Tensor(undefined)";
  constexpr int64_t kShown = 6;  // first and last elements printed for long tensors
  Tensor host = device().is_cpu() ? *this : detach().to(Device::cpu());
  std::string values = COHORT_DISPATCH_ALL(dtype(), "str", [&] {
    const scalar_t* p = host.data<scalar_t>();
    int64_t n = numel();
    const bool floating = is_floating(dtype());
    auto fmt_one = [floating](scalar_t v) {
      return floating ? fmt::format("{:.4g}", static_cast<double>(v))
                      : fmt::format("{}", static_cast<int64_t>(v));
    };
    std::string s;
    for (int64_t i = 0; i < n; ++i) {
      if (n > 2 * kShown && i == kShown) {
        s += ", ...";
        i = n - kShown;
      }
      if (!s.empty()) s += ", ";
      s += fmt_one(p[i]);
    }
    return s;
  });
  return fmt::format("Tensor(shape={}, dtype={}, device={}{}, values=[{}])", shape_str(shape()),
                     dtype_name(dtype()), device().str(), requires_grad() ? ", requires_grad" : "",
                     values);
}

// ---- Device ------------------------------------------------------------------------------

Device Device::parse(const std::string& s) {
  if (s == "cpu") return cpu();
  if (s == "cuda") return cuda(0);
  if (s.rfind("cuda:", 0) == 0) {
    try {
      size_t used = 0;
      int i = std::stoi(s.substr(5), &used);
      if (used == s.size() - 5 && i >= 0) return cuda(i);
    } catch (const std::exception&) {
    }
  }
  throw ValueError(fmt::format("unknown device '{}' (expected cpu, cuda or cuda:N)", s));
}

}  // namespace cohort
