// CPU GEMM (Eigen). Mirrored in kernels/cuda/linalg.h (cuBLAS).
#pragma once

#include "core/tensor.h"

namespace cohort::cpu {

// c = alpha * op(a) · op(b) + beta * c, op(x) = x or xᵀ (per matrix).
// 2-D: a [M,K] (or [K,M] if trans_a), b [K,N] (or [N,K]), c [M,N].
// 3-D: the same per batch entry; a, b and c share the leading batch size.
// beta == 0 overwrites c (its old contents may be NaN); otherwise accumulates.
void gemm(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b, Tensor& c, double alpha,
          double beta);
// out [C,R] = in [R,C] transposed.
void transpose2d(const Tensor& in, Tensor& out);

}  // namespace cohort::cpu
