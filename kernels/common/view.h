// Views: what the kernels see of a tensor (docs/architecture.md, "The kernels take views").
//
// A view is a non-owning description of a buffer: data pointer, dtype, device and shape. The op
// front-ends make one per tensor argument at the call (core/kernel_views.h) and keep the owning
// Tensor alive for the duration of the call; the kernels never see the Tensor class, so they
// cannot allocate, retain or reshape tensors behind the front-ends' backs.
//
// Contiguous and row-major only, hence no strides: every Tensor is (core/tensor.h), and the
// front-ends hand the kernels nothing else.
//
// ConstView reads (data<T>() gives const T*), View also writes; a View converts to a ConstView.
// A default-constructed view is undefined (defined() == false) and stands for an absent optional
// argument (no bias, a gradient nobody wants). Views are trivially copyable; pass them by value
// or by const reference.
#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <type_traits>
#include <vector>

#include "core/device.h"
#include "core/dtype.h"
#include "core/error.h"

namespace cohort {

// The highest rank a view (so a tensor passed to a kernel) may have; the CUDA broadcast and
// reduction geometry are sized to it too.
inline constexpr int kMaxViewRank = 8;

// A shape of at most kMaxViewRank dims, stored inline (no allocation). Unused entries are 0.
class Dims {
 public:
  constexpr Dims() = default;
  Dims(std::initializer_list<int64_t> dims) : Dims(dims.begin(), dims.size()) {}
  Dims(const int64_t* dims, size_t rank) {
    COHORT_CHECK(rank <= static_cast<size_t>(kMaxViewRank),
                 "kernel view: rank {} exceeds the kernels' maximum rank {}", rank, kMaxViewRank);
    for (size_t i = 0; i < rank; ++i) d_[i] = dims[i];
    rank_ = static_cast<int32_t>(rank);
  }
  explicit Dims(const std::vector<int64_t>& dims) : Dims(dims.data(), dims.size()) {}

  size_t size() const { return static_cast<size_t>(rank_); }
  bool empty() const { return rank_ == 0; }
  int64_t operator[](size_t i) const { return d_[i]; }
  const int64_t* begin() const { return d_; }
  const int64_t* end() const { return d_ + rank_; }
  int64_t back() const { return d_[rank_ - 1]; }
  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < rank_; ++i) n *= d_[i];
    return n;
  }
  std::vector<int64_t> vec() const { return {begin(), end()}; }
  // "[2, 3]", as shape_str (core/tensor.h) writes a Shape.
  std::string str() const { return fmt::format("[{}]", fmt::join(begin(), end(), ", ")); }

  friend bool operator==(const Dims& a, const Dims& b) {
    if (a.rank_ != b.rank_) return false;
    for (int i = 0; i < a.rank_; ++i)
      if (a.d_[i] != b.d_[i]) return false;
    return true;
  }
  friend bool operator!=(const Dims& a, const Dims& b) { return !(a == b); }

 private:
  int64_t d_[kMaxViewRank] = {};
  int32_t rank_ = 0;
};

template <bool Writable>
class BasicView {
 public:
  using RawPointer = std::conditional_t<Writable, void*, const void*>;
  template <typename T> using Pointer = std::conditional_t<Writable, T*, const T*>;

  constexpr BasicView() = default;  // undefined
  BasicView(RawPointer data, DType dtype, Device device, const Dims& shape)
      : data_(data), dtype_(dtype), device_(device), shape_(shape), defined_(true) {}
  // A writable view is also a read-only one.
  template <bool W = Writable, std::enable_if_t<!W, int> = 0>
  BasicView(const BasicView<true>& v)  // NOLINT(google-explicit-constructor): by design
      : data_(v.raw_data()), dtype_(v.dtype()), device_(v.device()), shape_(v.shape()),
        defined_(v.defined()) {}

  bool defined() const { return defined_; }
  const Dims& shape() const { return shape_; }
  int64_t dim() const { return static_cast<int64_t>(shape_.size()); }
  // Negative d counts from the end, as Tensor::size.
  int64_t size(int64_t d) const {
    const int64_t n = dim();
    const int64_t dd = d < 0 ? d + n : d;
    COHORT_CHECK(dd >= 0 && dd < n, "kernel view: dim {} out of range for shape {}", d, shape_.str());
    return shape_[static_cast<size_t>(dd)];
  }
  int64_t numel() const { return shape_.numel(); }
  DType dtype() const { return dtype_; }
  Device device() const { return device_; }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }

  // Typed pointer to the first element (a device pointer for CUDA views); throws if T does not
  // match dtype(), as Tensor::data does.
  template <typename T>
  Pointer<T> data() const {
    COHORT_CHECK(dtype_ == dtype_of<T>, "kernel view: dtype is {}, asked for {}", dtype_name(dtype_),
                 dtype_name(dtype_of<T>));
    return static_cast<Pointer<T>>(data_);
  }
  RawPointer raw_data() const { return data_; }

  // The same buffer under another shape with as many elements.
  BasicView reshape(const Dims& shape) const {
    COHORT_CHECK(shape.numel() == numel(), "kernel view: cannot view shape {} as {}", shape_.str(),
                 shape.str());
    return BasicView(data_, dtype_, device_, shape);
  }

 private:
  RawPointer data_ = nullptr;
  DType dtype_ = DType::f32;
  Device device_{};
  Dims shape_{};
  bool defined_ = false;
};

using View = BasicView<true>;
using ConstView = BasicView<false>;

static_assert(std::is_trivially_copyable_v<Dims>);
static_assert(std::is_trivially_copyable_v<View>);
static_assert(std::is_trivially_copyable_v<ConstView>);

}  // namespace cohort
