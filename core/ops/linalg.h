// Matrix products.
#pragma once

#include "core/tensor.h"

namespace cohort::ops {

// [M,K]·[K,N] -> [M,N], or batched [B,M,K]·[B,K,N] -> [B,M,N].
Tensor matmul(const Tensor& a, const Tensor& b);
// op(a)·op(b) with optional transposes, 2-D or batched 3-D; the building block of the others.
Tensor gemm(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b, double alpha = 1.0);
// x [N,in] · weightᵀ [in,out] + bias [out] (bias may be undefined) -> [N,out]; PyTorch's layout.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

}  // namespace cohort::ops
