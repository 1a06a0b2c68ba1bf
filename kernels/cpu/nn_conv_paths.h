// The two CPU conv2d implementations behind cpu::conv2d_* (kernels/nn.h) and how one is
// chosen (kernels/cpu/nn_conv_dispatch.cpp):
//   - onednn:    oneDNN primitives (kernels/cpu/nn_conv_onednn.cpp), f32 only; the default.
//   - reference: im2col + Eigen GEMM and direct depthwise loops (kernels/cpu/nn_conv.cpp), f32
//                and f64; selected by COHORT_CPU_CONV=reference, always used for f64, and the
//                fallback when oneDNN cannot run a shape.
// Same contracts as kernels/nn.h. Tests call both directly to compare them.
#pragma once

#include <cstdint>

#include "kernels/common/view.h"
#include "kernels/common/nn_params.h"

namespace cohort::cpu {

namespace conv_reference {
void forward(ConstView x, ConstView w, ConstView bias, View y, const Conv2dParams& p);
void backward_data(ConstView grad_y, ConstView w, View grad_x, const Conv2dParams& p);
void backward_weight(ConstView grad_y, ConstView x, View grad_w, const Conv2dParams& p);
}  // namespace conv_reference

// Whether this build has oneDNN (CMake option COHORT_ONEDNN, on by default; the GPU bundle turns
// it off). Without it nn_conv_onednn_absent.cpp stands in and every call below returns false.
// f32 tensors only. Each returns false, with the outputs unspecified, when oneDNN could not
// create or run the primitive (a dnnl::error or an allocation failure); the reason is written to
// stderr once per shape and direction, and the caller falls back to the reference.
namespace conv_onednn {
bool available();
bool forward(ConstView x, ConstView w, ConstView bias, View y, const Conv2dParams& p);
bool backward_data(ConstView grad_y, ConstView w, View grad_x, const Conv2dParams& p);
bool backward_weight(ConstView grad_y, ConstView x, View grad_w, const Conv2dParams& p);
// backward_data then backward_weight, with grad_y reordered once when both primitives want it in
// the same layout. Each flag is that direction's result, as above.
struct BackwardDone {
  bool data = false, weight = false;
};
BackwardDone backward(ConstView grad_y, ConstView x, ConstView w, View grad_x, View grad_w,
                      const Conv2dParams& p);
// How many times backward() let backward-weight reuse backward-data's copy of grad_y (tests).
int64_t shared_grad_reorders();
}  // namespace conv_onednn

enum class CpuConvImpl { onednn, reference };
// "onednn" or "reference"; an unset or empty variable is "onednn" when the build has it, else
// "reference". Anything else, or "onednn" in a build without it, throws ValueError naming
// COHORT_CPU_CONV and the accepted values.
CpuConvImpl parse_cpu_conv_impl(const char* value);
// COHORT_CPU_CONV, read on the first call.
CpuConvImpl cpu_conv_impl();

// How many conv2d kernel calls each implementation ran (all three directions, fallbacks counted
// as reference): lets tests check which path a setting really takes.
struct CpuConvCalls {
  int64_t onednn = 0, reference = 0;
};
CpuConvCalls cpu_conv_calls();

}  // namespace cohort::cpu
