// Optimiser updates over lists of tensors, declared once for both backends (optim.inc, expanded
// in cohort::cpu — kernels/cpu/optim.cpp — and cohort::cuda — kernels/cuda/optim.cu, where each
// call is a handful of fused multi-tensor launches (multi_tensor_apply.cuh) on the current stream
// of the tensors' device: the whole model's update, not one launch per tensor per arithmetic
// step, and no host sync).
//
// Contracts shared by both functions:
//  - the lists hold views (kernels/common/view.h): View where updated, ConstView for the grads;
//  - every list has the same length; entry i of each list has the shape of params[i];
//  - all tensors are contiguous, on one device, of one floating dtype (f32 or f64);
//  - params and the state lists are updated in place; grads are only read;
//  - the per-element formulas are kernels/common/optim_math.h (PyTorch's, in its order).
#pragma once

#include <vector>

#include "kernels/common/optim_math.h"
#include "kernels/common/view.h"

namespace cohort::cpu {
#include "kernels/optim.inc"
}  // namespace cohort::cpu

namespace cohort::cuda {
#include "kernels/optim.inc"
}  // namespace cohort::cuda
