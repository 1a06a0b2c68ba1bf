// Tensor: a cheap, shared handle onto device-tagged storage (docs/architecture.md).
//
// Tensors are contiguous and row-major (NCHW for images). Views share storage only where that
// is free — reshape/flatten and slicing along dim 0; everything else that changes layout copies.
// Copying a Tensor copies the handle: both refer to the same data and autograd history.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/device.h"
#include "core/dtype.h"
#include "core/storage.h"

namespace cohort {

using Shape = std::vector<int64_t>;
class Tensor;
// Ordered (name, tensor) pairs: named parameters, buffers, state dicts.
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

int64_t shape_numel(const Shape& shape);
std::string shape_str(const Shape& shape);

class Tensor;
class Generator;
namespace autograd { struct Node; }

// The state behind a Tensor handle. Users see it only through Tensor.
struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  DType dtype = DType::f32;
  int64_t offset = 0;  // in elements, into storage

  // Autograd metadata.
  bool requires_grad = false;                // leaf flag, or "has a grad_fn" for results
  std::shared_ptr<TensorImpl> grad;          // accumulated gradient of a leaf
  std::shared_ptr<autograd::Node> grad_fn;   // the op that produced this tensor, if recorded
};

class Tensor {
 public:
  Tensor() = default;  // undefined tensor (defined() == false)
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- factories -------------------------------------------------------------------------
  static Tensor empty(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu());
  static Tensor zeros(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu());
  static Tensor ones(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu());
  static Tensor full(const Shape& shape, double value, DType dtype = DType::f32,
                     Device device = Device::cpu());
  static Tensor scalar(double value, DType dtype = DType::f32, Device device = Device::cpu());
  // 0, 1, ..., n-1
  static Tensor arange(int64_t n, DType dtype = DType::f32, Device device = Device::cpu());
  // Uniform [0, 1) and standard normal, from the Philox stream of `gen` (see core/random.h).
  static Tensor rand(const Shape& shape, Generator& gen, DType dtype = DType::f32,
                     Device device = Device::cpu());
  static Tensor randn(const Shape& shape, Generator& gen, DType dtype = DType::f32,
                      Device device = Device::cpu());
  template <typename T>
  static Tensor from_vector(const std::vector<T>& values, const Shape& shape,
                            Device device = Device::cpu());
  template <typename T>
  static Tensor from_vector(const std::vector<T>& values) {
    return from_vector(values, Shape{static_cast<int64_t>(values.size())});
  }

  // ---- properties ------------------------------------------------------------------------
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl().shape; }
  int64_t dim() const { return static_cast<int64_t>(impl().shape.size()); }
  int64_t size(int64_t d) const;  // negative d counts from the end
  int64_t numel() const { return shape_numel(impl().shape); }
  DType dtype() const { return impl().dtype; }
  Device device() const { return impl().storage->device(); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype()); }

  // Typed pointer to the first element; throws if T does not match dtype(). Works for any device
  // (a CUDA pointer for CUDA tensors).
  template <typename T> T* data() const;
  void* raw_data() const;

  // ---- views (share storage) -------------------------------------------------------------
  Tensor reshape(const Shape& shape) const;  // one -1 allowed
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor slice(int64_t start, int64_t end) const;  // rows [start, end) along dim 0
  Tensor operator[](int64_t i) const;              // row i along dim 0, dim removed

  // ---- copies ----------------------------------------------------------------------------
  Tensor to(DType dtype) const;
  Tensor to(Device device) const;
  // non_blocking: a host->device copy from pinned memory returns before it completes (the copy
  // is ordered on the device's current stream, like PyTorch's non_blocking=True).
  Tensor to(Device device, bool non_blocking) const;
  // A CPU copy in page-locked (pinned) host memory, for fast asynchronous copies to CUDA.
  // Throws in a build without CUDA.
  Tensor pin_memory() const;
  bool is_pinned() const;
  Tensor clone() const;
  // Element values; synchronises for CUDA tensors (the only host syncs are explicit).
  double item() const;
  template <typename T> T item() const { return static_cast<T>(item()); }
  template <typename T> std::vector<T> to_vector() const;

  // ---- in-place (not recorded by autograd) -----------------------------------------------
  Tensor& fill_(double value);
  Tensor& copy_(const Tensor& src);  // same shape and dtype, any devices
  Tensor& zero_() { return fill_(0.0); }

  // ---- autograd --------------------------------------------------------------------------
  bool requires_grad() const { return impl().requires_grad; }
  Tensor& requires_grad_(bool on = true);
  bool is_leaf() const { return impl().grad_fn == nullptr; }
  Tensor grad() const { return Tensor(impl().grad); }
  void set_grad(const Tensor& g);
  // Drops the gradient (set_to_none, PyTorch's default) or zeroes it in place.
  void zero_grad(bool set_to_none = true);
  const std::shared_ptr<autograd::Node>& grad_fn() const { return impl().grad_fn; }
  // Same data, no history, requires_grad false.
  Tensor detach() const;
  // Reverse-mode sweep from this tensor. `grad` defaults to 1 for a one-element tensor.
  void backward(const Tensor& grad = Tensor(), bool retain_graph = false) const;

  // ---- misc ------------------------------------------------------------------------------
  std::string str() const;  // shape, dtype, device and abbreviated values
  bool same(const Tensor& other) const { return impl_ == other.impl_; }
  TensorImpl& impl() const;
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

 private:
  std::shared_ptr<TensorImpl> impl_;
};

// Arithmetic operators (defined in core/ops/elementwise.cpp, recorded by autograd).
Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, double b);
Tensor operator-(const Tensor& a, double b);
Tensor operator*(const Tensor& a, double b);
Tensor operator/(const Tensor& a, double b);
Tensor operator+(double a, const Tensor& b);
Tensor operator-(double a, const Tensor& b);
Tensor operator*(double a, const Tensor& b);
Tensor operator-(const Tensor& a);

// ---- template definitions ----------------------------------------------------------------

template <typename T>
T* Tensor::data() const {
  COHORT_CHECK(dtype() == dtype_of<T>, "Tensor::data: tensor has dtype {}, asked for {}",
               dtype_name(dtype()), dtype_name(dtype_of<T>));
  return static_cast<T*>(raw_data());
}

}  // namespace cohort

template <>
struct fmt::formatter<cohort::Tensor> : fmt::formatter<std::string> {
  auto format(const cohort::Tensor& t, format_context& ctx) const {
    return fmt::formatter<std::string>::format(t.str(), ctx);
  }
};
