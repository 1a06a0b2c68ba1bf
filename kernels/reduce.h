// Reductions, declared once for both backends (reduce.inc, expanded in cohort::cpu —
// kernels/cpu/reduce.cpp — and cohort::cuda — kernels/cuda/reduce.{cpp,cu}, queued on the current
// stream).
#pragma once

#include "kernels/common/view.h"

namespace cohort::cpu {
#include "kernels/reduce.inc"
}  // namespace cohort::cpu

namespace cohort::cuda {
#include "kernels/reduce.inc"
}  // namespace cohort::cuda
