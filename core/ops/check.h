// Argument checks shared by op front-ends. Every message names the op and the shapes involved.
#pragma once

#include <string_view>

#include "core/tensor.h"

namespace cohort::ops {

void check_defined(std::string_view op, const Tensor& t, std::string_view arg);
// Same device for all; the message names both devices.
void check_same_device(std::string_view op, const Tensor& a, const Tensor& b);
void check_same_dtype(std::string_view op, const Tensor& a, const Tensor& b);
void check_floating(std::string_view op, const Tensor& t);
void check_dim(std::string_view op, const Tensor& t, int64_t dim, std::string_view arg);
// Numpy broadcasting of two shapes, or a ValueError naming the op and both shapes.
Shape broadcast_shapes(std::string_view op, const Shape& a, const Shape& b);
// Normalises a possibly negative dim against `ndim`.
int64_t wrap_dim(std::string_view op, int64_t dim, int64_t ndim);

}  // namespace cohort::ops
