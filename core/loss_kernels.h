// Which CUDA kernels the f32 distillation losses (cross_entropy, kd_kl, dml_mimicry) run.
//   simple — the block-per-row kernels of kernels/cuda/losses.cu (reductions in double). The
//            default: the only path whose speed is not a guess until a GPU benchmark log says
//            otherwise (docs/kernels.md, "Which version ships").
//   lab    — the lab kernels (kernels/cuda/lab/) at lab::kBest.
// f64 always runs the simple kernels. The choice exists in every build (CPU-only builds ignore it).
#pragma once

namespace cohort {

enum class LossKernels { simple, lab };

// COHORT_LOSS_KERNELS=simple|lab from the environment, read at the first call (unset or empty:
// simple); set_loss_kernels() overrides it for the whole process (tests compare both paths).
LossKernels loss_kernels();
void set_loss_kernels(LossKernels kernels);

// The environment value's meaning: nullptr or "" -> simple; anything but simple/lab is a
// ValueError naming COHORT_LOSS_KERNELS and the value.
LossKernels parse_loss_kernels(const char* value);

}  // namespace cohort
