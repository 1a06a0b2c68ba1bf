// Kernels of the NCHW network ops, declared once for both backends (nn.inc, expanded in
// cohort::cpu — kernels/cpu/nn_*.cpp — and cohort::cuda — kernels/cuda/nn*.{cpp,cu}).
//
// Contracts: views (kernels/common/view.h) of contiguous NCHW tensors of one floating dtype;
// outputs preallocated by the front-end (core/ops/nn_*.cpp) with the right shapes; every output is
// OVERWRITTEN (never accumulated). Optional tensors (bias, BN affine) may be undefined views.
//
// Where the CUDA versions come from:
//   conv2d (forward, backward-data, backward-weight)  cuDNN, algorithm cached per problem
//                                                      (nn_conv.cpp); TF32 per allow_tf32_conv()
//   batch norm                                         hand-written (nn_batch_norm.cu): the CPU's
//                                                      contract exactly, any eps, no affine
//   max/avg pooling                                    hand-written (nn_pool.cu): the CPU's
//                                                      indices (first maximum, h·W + w)
//   pad2d, softmax/log_softmax, channel copies         hand-written / cudaMemcpy2DAsync
// The CPU conv2d has two implementations behind these three functions (kernels/cpu/nn_conv_paths.h).
#pragma once

#include "kernels/common/nn_params.h"
#include "kernels/common/view.h"

namespace cohort::cpu {
#include "kernels/nn.inc"
}  // namespace cohort::cpu

namespace cohort::cuda {
#include "kernels/nn.inc"
}  // namespace cohort::cuda
