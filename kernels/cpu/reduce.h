// CPU reductions. Mirrored in kernels/cuda/reduce.h.
#pragma once

#include "core/tensor.h"

namespace cohort::cpu {

// out (same rank as in, reduced dims of size 1) = sum of `in` over the dims where out has 1
// and in does not. Overwrites out. Accumulates in double.
void reduce_sum(const Tensor& in, Tensor& out);
// out[i] = argmax over the last dim of in viewed as [rows, cols]; out is i64 [rows].
void argmax_lastdim(const Tensor& in, Tensor& out);

}  // namespace cohort::cpu
