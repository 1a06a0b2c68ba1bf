// conv_onednn in a build configured with COHORT_ONEDNN=OFF (the GPU bundle, which does not carry
// the 40 MB libdnnl): every call reports "could not run", so cpu::conv2d_* take the im2col
// reference (kernels/cpu/nn_conv_paths.h).
#include "kernels/cpu/nn_conv_paths.h"

namespace cohort::cpu::conv_onednn {

bool available() { return false; }
bool forward(ConstView, ConstView, ConstView, View, const Conv2dParams&) { return false; }
bool backward_data(ConstView, ConstView, View, const Conv2dParams&) { return false; }
bool backward_weight(ConstView, ConstView, View, const Conv2dParams&) { return false; }
BackwardDone backward(ConstView, ConstView, ConstView, View, View, const Conv2dParams&) { return {}; }
int64_t shared_grad_reorders() { return 0; }

}  // namespace cohort::cpu::conv_onednn
