// Network op front-ends (NCHW; conv2d and the batch norms also take channels-last NHWC activations
// on the CPU, see Conv2dParams::channels_last). Each validates its arguments (errors name the op and shapes),
// allocates outputs, dispatches to cpu::/cuda:: and records its backward.
#pragma once

#include <vector>

#include "core/random.h"
#include "core/tensor.h"
#include "kernels/common/nn_params.h"

namespace cohort::ops {

// x [N,C,H,W], weight [K,C/groups,R,S], bias [K] or undefined -> [N,K,P,Q]; with
// params.channels_last x [N,H,W,C] -> [N,P,Q,K] (CPU only).
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(),
              const Conv2dParams& params = {});
// Whether CPU f32 convolutions run on oneDNN (the build and COHORT_CPU_CONV): where
// channels-last activations pay (layers/activation_layout.h).
bool cpu_conv_uses_onednn();

// Batch norm over N,H,W per channel, PyTorch semantics. In training, running_mean/var (if
// defined) are updated in place with `momentum`; in eval they normalise. weight/bias may be
// undefined (affine=false). channels_last: x is [N,H,W,C] (CPU only).
Tensor batch_norm2d(const Tensor& x, const Tensor& weight, const Tensor& bias,
                    Tensor running_mean, Tensor running_var, bool training,
                    double momentum = 0.1, double eps = 1e-5, bool channels_last = false);
// relu(batch_norm2d(...)) in one pass over the data, with one backward that applies the ReLU's
// mask inside the batch norm's (same values and gradients as the two ops; the CIFAR models' BN +
// ReLU pairs use it). Eval mode with autograd recording falls back to the two ops.
Tensor batch_norm2d_relu(const Tensor& x, const Tensor& weight, const Tensor& bias,
                         Tensor running_mean, Tensor running_var, bool training,
                         double momentum = 0.1, double eps = 1e-5, bool channels_last = false);

Tensor max_pool2d(const Tensor& x, const Pool2dParams& params);
Tensor avg_pool2d(const Tensor& x, const Pool2dParams& params);
// Mean over H and W: [N,C,H,W] -> [N,C].
Tensor global_avg_pool2d(const Tensor& x);

// Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1-p);
// identity when !training or p == 0. The mask comes from gen's Philox stream (same on CPU/CUDA).
Tensor dropout(const Tensor& x, double p, bool training, Generator& gen);

Tensor pad2d(const Tensor& x, const Pad2dParams& params);
// Concatenation along dim 1 (channels) of [N,C_i,...] tensors with equal other dims.
Tensor concat_channels(const std::vector<Tensor>& xs);

// Softmax / log-softmax over the last dim (dim = -1 only; [N,C] logits are the use case).
Tensor softmax(const Tensor& x);
Tensor log_softmax(const Tensor& x);

}  // namespace cohort::ops
