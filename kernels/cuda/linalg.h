// CUDA GEMM (cuBLAS) and transpose: the declarations of kernels/cpu/linalg.h in namespace
// cohort::cuda, same contracts (row-major, 2-D or batched 3-D, beta == 0 ignores c's contents).
// f32 GEMMs use TF32 tensor cores only when allow_tf32_matmul() (off by default, as PyTorch).
#pragma once

#include "core/tensor.h"

namespace cohort::cuda {

void gemm(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b, Tensor& c, double alpha,
          double beta);
void transpose2d(const Tensor& in, Tensor& out);

}  // namespace cohort::cuda
