// The distillation losses, declared once for both backends (losses.inc, expanded in cohort::cpu —
// the references, kernels/cpu/losses.cpp — and cohort::cuda — kernels/cuda/losses.cpp).
//
// Shapes: logits [N, C] row-major, labels i64 [N]; scalar outputs have shape []. Outputs are
// overwritten. All formulas are written out in docs/kernels.md.
// CUDA: every dtype runs the block-per-row kernels of kernels/cuda/losses.cu; f32 runs the shipped
// lab kernels (kernels/cuda/lab/shipped.h, docs/kernels.md) instead when loss_kernels() is `lab`
// (core/loss_kernels.h). Out-of-range labels raise a device flag; the wrapper does not wait for
// it but defers the check to the thread's next synchronising call (label_check.h), which throws
// the same ValueError as the CPU. dml_mimicry takes at most kMaxCohort (8) students.
#pragma once

#include <vector>

#include "kernels/common/op_enums.h"
#include "kernels/common/view.h"

namespace cohort::cpu {
#include "kernels/losses.inc"
}  // namespace cohort::cpu

namespace cohort::cuda {
#include "kernels/losses.inc"
}  // namespace cohort::cuda
