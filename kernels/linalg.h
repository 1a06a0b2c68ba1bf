// GEMM and transpose, declared once for both backends (linalg.inc, expanded in cohort::cpu —
// Eigen, kernels/cpu/linalg.cpp — and cohort::cuda — cuBLAS, kernels/cuda/linalg.{cpp,cu}).
// CUDA: f32 GEMMs use TF32 tensor cores only when allow_tf32_matmul() (off by default, as PyTorch).
#pragma once

#include "kernels/common/view.h"

namespace cohort::cpu {
#include "kernels/linalg.inc"
}  // namespace cohort::cpu

namespace cohort::cuda {
#include "kernels/linalg.inc"
}  // namespace cohort::cuda
