// Conv2dParams with the same stride, padding and dilation in both dimensions: how the conv tests
// spell their cases.
#pragma once

#include <cstdint>

#include "kernels/common/nn_params.h"

namespace cohort::test {

inline Conv2dParams conv_params(int64_t stride, int64_t pad, int64_t dilation = 1, int64_t groups = 1) {
  Conv2dParams p;
  p.stride_h = p.stride_w = stride;
  p.pad_h = p.pad_w = pad;
  p.dilation_h = p.dilation_w = dilation;
  p.groups = groups;
  return p;
}

}  // namespace cohort::test
