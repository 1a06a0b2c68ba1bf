// CUDA reductions: the declarations of kernels/cpu/reduce.h in namespace cohort::cuda, same
// contracts (reduce_sum overwrites out and accumulates in double; argmax_lastdim returns the
// first maximum). Queued on the current stream.
#pragma once

#include "core/tensor.h"

namespace cohort::cuda {

void reduce_sum(const Tensor& in, Tensor& out);
void argmax_lastdim(const Tensor& in, Tensor& out);

}  // namespace cohort::cuda
