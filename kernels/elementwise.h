// Elementwise kernels, declared once for both backends: the declarations in elementwise.inc are
// expanded in namespace cohort::cpu (kernels/cpu/elementwise.cpp) and cohort::cuda
// (kernels/cuda/elementwise.{cpp,cu}), so the two signatures cannot drift apart; the op
// front-ends pick one with COHORT_DISPATCH (core/backend.h).
//
// Contracts shared by every function:
//  - arguments are views (kernels/common/view.h) of contiguous tensors: ConstView read, View
//    written; `out` is preallocated by the caller with the right shape/dtype;
//  - outputs are overwritten, except the functions ending in `_` which update in place;
//  - binary ops broadcast numpy-style (the front-end has computed out's shape).
// CUDA: everything is queued on the tensors' device's current stream; nothing synchronises. The
// Philox fills give the CPU's numbers for the same seed and offset (uniform and bernoulli bit for
// bit; normal within the last ulp of log/sin/cos).
#pragma once

#include <cstdint>

#include "kernels/common/op_enums.h"
#include "kernels/common/view.h"

namespace cohort::cpu {
#include "kernels/elementwise.inc"
}  // namespace cohort::cpu

namespace cohort::cuda {
#include "kernels/elementwise.inc"
}  // namespace cohort::cuda
