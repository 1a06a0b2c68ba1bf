#include "convert.h"

#include <vector>

#include "core/backend.h"
#include "core/error.h"
#include "core/storage.h"

namespace nb = nanobind;

namespace cohort::python {

namespace {

DType dtype_from_dlpack(const nb::dlpack::dtype& d) {
  using code = nb::dlpack::dtype_code;
  if (d.lanes == 1) {
    if (d.code == static_cast<uint8_t>(code::Float) && d.bits == 32) return DType::f32;
    if (d.code == static_cast<uint8_t>(code::Float) && d.bits == 64) return DType::f64;
    if (d.code == static_cast<uint8_t>(code::Int) && d.bits == 64) return DType::i64;
    if (d.code == static_cast<uint8_t>(code::UInt) && d.bits == 8) return DType::u8;
  }
  throw nb::type_error(fmt::format("from_dlpack: unsupported element type (DLPack code {}, {} bits, {} "
                                   "lanes); cohort tensors hold float32, float64, int64 or uint8",
                                   d.code, d.bits, d.lanes).c_str());
}

nb::dlpack::dtype dtype_to_dlpack(DType t) {
  switch (t) {
    case DType::f32: return nb::dtype<float>();
    case DType::f64: return nb::dtype<double>();
    case DType::i64: return nb::dtype<int64_t>();
    case DType::u8: return nb::dtype<uint8_t>();
  }
  COHORT_FAIL("dtype_to_dlpack: unknown dtype");
}

Device device_from_dlpack(int32_t type, int32_t id) {
  if (type == nb::device::cpu::value) return Device::cpu();
  if (type == nb::device::cuda::value) return Device::cuda(id);
  throw nb::value_error(fmt::format("from_dlpack: DLPack device type {} is not supported (CPU or "
                                    "CUDA memory expected; pinned/managed memory: copy it first)",
                                    type).c_str());
}

// Row-major contiguity; dims of size 1 may carry any stride (PyTorch reports odd ones there).
void check_contiguous(const nb::ndarray<>& a, const Shape& shape) {
  int64_t expected = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    if (shape[i] != 1 && a.stride(i) != expected) {
      std::vector<int64_t> strides(shape.size());
      for (size_t j = 0; j < shape.size(); ++j) strides[j] = a.stride(j);
      throw nb::value_error(fmt::format("from_dlpack: array of shape {} has strides {} (in elements) "
                                        "and is not contiguous; make a contiguous copy first "
                                        "(numpy.ascontiguousarray, torch.Tensor.contiguous)",
                                        shape_str(shape), shape_str(strides)).c_str());
    }
    expected *= shape[i];
  }
}

}  // namespace

std::optional<DType> dtype_from_name(const std::string& name) {
  if (name == "f32" || name == "float32") return DType::f32;
  if (name == "f64" || name == "float64") return DType::f64;
  if (name == "i64" || name == "int64") return DType::i64;
  if (name == "u8" || name == "uint8") return DType::u8;
  return std::nullopt;
}

DType parse_dtype(const std::string& name) {
  if (auto dtype = dtype_from_name(name)) return *dtype;
  throw ValueError(fmt::format("unknown dtype '{}' (f32, f64, i64 or u8)", name));
}

Tensor tensor_from_ndarray(const nb::ndarray<>& array) {
  DType dtype = dtype_from_dlpack(array.dtype());
  Device device = device_from_dlpack(array.device_type(), array.device_id());
  Shape shape(array.ndim());
  for (size_t i = 0; i < array.ndim(); ++i) shape[i] = static_cast<int64_t>(array.shape(i));
  check_contiguous(array, shape);
  // The copied ndarray handle holds the exporter; its release takes the GIL itself, so the
  // last cohort view may die anywhere (also inside a GIL-released kernel call).
  auto* keep_alive = new nb::ndarray<>(array);
  size_t nbytes = static_cast<size_t>(shape_numel(shape)) * dtype_size(dtype);
  auto storage = std::make_shared<Storage>(array.data(), nbytes, device,
                                           [keep_alive](void*) { delete keep_alive; });
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::move(storage);
  impl->shape = std::move(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

nb::ndarray<> tensor_to_ndarray(const Tensor& t) {
  COHORT_CHECK(t.defined(), "to_dlpack: the tensor is undefined");
  if (t.device().is_cuda()) backend::synchronize(t.device());
  auto* keep_alive = new Tensor(t);
  nb::capsule owner(keep_alive, [](void* p) noexcept { delete static_cast<Tensor*>(p); });
  std::vector<size_t> shape(t.shape().begin(), t.shape().end());
  int32_t device_type = t.device().is_cpu() ? nb::device::cpu::value : nb::device::cuda::value;
  return nb::ndarray<>(t.raw_data(), shape.size(), shape.data(), owner, nullptr,
                       dtype_to_dlpack(t.dtype()), device_type, t.device().index);
}

}  // namespace cohort::python
