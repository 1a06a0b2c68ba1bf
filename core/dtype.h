// Element types a Tensor can hold, and their C++ counterparts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.h"

namespace cohort {

enum class DType : uint8_t { f32, f64, i64, u8 };

constexpr size_t dtype_size(DType t) {
  switch (t) {
    case DType::f32: return 4;
    case DType::f64: return 8;
    case DType::i64: return 8;
    case DType::u8: return 1;
  }
  return 0;
}

constexpr std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::f32: return "f32";
    case DType::f64: return "f64";
    case DType::i64: return "i64";
    case DType::u8: return "u8";
  }
  return "?";
}

constexpr bool is_floating(DType t) { return t == DType::f32 || t == DType::f64; }

// dtype_of<T>: the DType for a C++ element type.
template <typename T> struct DTypeOf;
template <> struct DTypeOf<float> { static constexpr DType value = DType::f32; };
template <> struct DTypeOf<double> { static constexpr DType value = DType::f64; };
template <> struct DTypeOf<int64_t> { static constexpr DType value = DType::i64; };
template <> struct DTypeOf<uint8_t> { static constexpr DType value = DType::u8; };
template <typename T> inline constexpr DType dtype_of = DTypeOf<T>::value;

}  // namespace cohort

// Runs `__VA_ARGS__` with `scalar_t` bound to the C++ type of a floating dtype.
// Kernels are templates on the element type; this is the one place that switches.
#define COHORT_DISPATCH_FLOATING(dtype, opname, ...)                                       \
  [&] {                                                                                    \
    switch (dtype) {                                                                       \
      case ::cohort::DType::f32: { using scalar_t = float; return __VA_ARGS__(); }         \
      case ::cohort::DType::f64: { using scalar_t = double; return __VA_ARGS__(); }        \
      default:                                                                             \
        COHORT_FAIL("{}: dtype {} is not supported (f32 or f64 expected)", opname,         \
                    ::cohort::dtype_name(dtype));                                          \
    }                                                                                      \
  }()

#define COHORT_DISPATCH_ALL(dtype, opname, ...)                                            \
  [&] {                                                                                    \
    switch (dtype) {                                                                       \
      case ::cohort::DType::f32: { using scalar_t = float; return __VA_ARGS__(); }         \
      case ::cohort::DType::f64: { using scalar_t = double; return __VA_ARGS__(); }        \
      case ::cohort::DType::i64: { using scalar_t = int64_t; return __VA_ARGS__(); }       \
      case ::cohort::DType::u8: { using scalar_t = uint8_t; return __VA_ARGS__(); }        \
    }                                                                                      \
    COHORT_FAIL("{}: unknown dtype", opname);                                              \
  }()
