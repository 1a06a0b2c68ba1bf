// Conversions shared by the binding files: dtype/device names, DLPack import/export.
#pragma once

#include <optional>
#include <string>

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>

#include "core/tensor.h"

namespace cohort::python {

// "f32"/"float32", "f64"/"float64", "i64"/"int64", "u8"/"uint8"; anything else is a ValueError.
DType parse_dtype(const std::string& name);
// The same names; nullopt for anything else.
std::optional<DType> dtype_from_name(const std::string& name);

// Wraps a DLPack/buffer-protocol array without copying: the cohort tensor holds a reference to
// the exporter, so the memory stays valid for as long as either side uses it. Non-contiguous
// arrays and unsupported dtypes/devices are errors.
Tensor tensor_from_ndarray(const nanobind::ndarray<>& array);

// A view of the tensor's memory that keeps the tensor's storage alive (no copy). CUDA tensors
// are synchronised first, so a consumer on another stream sees finished data.
nanobind::ndarray<> tensor_to_ndarray(const Tensor& t);

}  // namespace cohort::python
