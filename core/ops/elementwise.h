// Elementwise op front-ends: validate, allocate, dispatch, record backward.
#pragma once

#include "core/tensor.h"

namespace cohort::ops {

// Binary ops broadcast numpy-style (same shape, scalar tensor, per-channel [C,1,1] over NCHW, ...).
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);  // gradient to a where a >= b
Tensor add(const Tensor& a, double s);
Tensor mul(const Tensor& a, double s);
Tensor rsub(const Tensor& a, double s);  // s - a
Tensor rdiv(const Tensor& a, double s);  // s / a

Tensor neg(const Tensor& a);
Tensor exp(const Tensor& a);
Tensor log(const Tensor& a);
Tensor sqrt(const Tensor& a);
Tensor pow(const Tensor& a, double exponent);
Tensor relu(const Tensor& a);
Tensor sigmoid(const Tensor& a);
Tensor tanh(const Tensor& a);
Tensor abs(const Tensor& a);
Tensor square(const Tensor& a);

// In place, not recorded by autograd (accumulators, optimisers): y += alpha * x, y *= alpha.
void add_(Tensor& y, const Tensor& x, double alpha = 1.0);
void mul_(Tensor& y, double alpha);

}  // namespace cohort::ops
