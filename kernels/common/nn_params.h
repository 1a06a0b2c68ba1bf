// Plain parameter structs of the NCHW ops, shared by op front-ends, CPU and CUDA kernels.
#pragma once

#include <cstdint>

namespace cohort {

struct Conv2dParams {
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t groups = 1;
  // The activations' layout: false = NCHW (x [N,C,H,W], y [N,K,P,Q]); true = NHWC, channels
  // last (x [N,H,W,C], y [N,P,Q,K]), where oneDNN convolves without converting activations to
  // and from its own layout. The weight is [K, C/groups, R, S] in both. CPU only.
  bool channels_last = false;
};

struct Pool2dParams {
  int64_t kernel_h = 2, kernel_w = 2;
  int64_t stride_h = 2, stride_w = 2;
  int64_t pad_h = 0, pad_w = 0;
  bool count_include_pad = true;  // avg pool only (PyTorch's default)
};

enum class PadMode : uint8_t { zero, reflect };

struct Pad2dParams {
  int64_t left = 0, right = 0, top = 0, bottom = 0;
  PadMode mode = PadMode::zero;
};

// Output size of a convolution/pooling window along one dim (floor mode, as PyTorch).
constexpr int64_t conv_out_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad,
                                int64_t dilation) {
  return (in + 2 * pad - dilation * (kernel - 1) - 1) / stride + 1;
}

}  // namespace cohort
