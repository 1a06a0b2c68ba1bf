// CPU kernels of the NCHW network ops. Mirrored exactly in kernels/cuda/nn.h (cuDNN/hand-written).
//
// Contracts: contiguous NCHW tensors of one floating dtype; outputs preallocated by the front-end
// (core/ops/nn.cpp) with the right shapes; every output is OVERWRITTEN (never accumulated).
// Optional tensors (bias, BN affine) may be undefined.
#pragma once

#include "core/tensor.h"
#include "kernels/common/nn_params.h"

namespace cohort::cpu {

// ---- convolution: x [N,C,H,W], w [K,C/groups,R,S], bias [K] or undefined, y [N,K,P,Q] -------
void conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& bias, Tensor& y,
                    const Conv2dParams& p);
// grad_x [N,C,H,W] from grad_y [N,K,P,Q] and w.
void conv2d_backward_data(const Tensor& grad_y, const Tensor& w, Tensor& grad_x,
                          const Conv2dParams& p);
// grad_w [K,C/groups,R,S] from grad_y and x.
void conv2d_backward_weight(const Tensor& grad_y, const Tensor& x, Tensor& grad_w,
                            const Conv2dParams& p);

// ---- batch norm over (N,H,W) per channel C ----------------------------------------------
// Training: normalises with the batch statistics; writes save_mean [C] and save_invstd [C]
// (1/sqrt(var_biased + eps)) for backward; updates running_mean/var in place (if defined) with
// PyTorch's rule r = (1-momentum) r + momentum * stat, using the UNBIASED variance for running_var.
void batch_norm_forward_train(const Tensor& x, const Tensor& weight, const Tensor& bias,
                              Tensor& running_mean, Tensor& running_var, double momentum,
                              double eps, Tensor& y, Tensor& save_mean, Tensor& save_invstd);
// Inference: normalises with the running statistics.
void batch_norm_forward_eval(const Tensor& x, const Tensor& weight, const Tensor& bias,
                             const Tensor& running_mean, const Tensor& running_var, double eps,
                             Tensor& y);
// Backward of the training form. grad_weight/grad_bias may be undefined (no affine).
void batch_norm_backward(const Tensor& grad_y, const Tensor& x, const Tensor& weight,
                         const Tensor& save_mean, const Tensor& save_invstd, Tensor& grad_x,
                         Tensor& grad_weight, Tensor& grad_bias);

// ---- pooling -----------------------------------------------------------------------------
// indices [N,C,P,Q] i64: flat h*W+w position of each window's maximum (first one on ties).
void max_pool2d_forward(const Tensor& x, Tensor& y, Tensor& indices, const Pool2dParams& p);
void max_pool2d_backward(const Tensor& grad_y, const Tensor& indices, Tensor& grad_x,
                         const Pool2dParams& p);
void avg_pool2d_forward(const Tensor& x, Tensor& y, const Pool2dParams& p);
void avg_pool2d_backward(const Tensor& grad_y, Tensor& grad_x, const Pool2dParams& p);

// ---- padding -----------------------------------------------------------------------------
void pad2d_forward(const Tensor& x, Tensor& y, const Pad2dParams& p);
void pad2d_backward(const Tensor& grad_y, Tensor& grad_x, const Pad2dParams& p);

// ---- softmax over the last dim (rows of [rows, C]) ---------------------------------------
// log == true: log_softmax.
void softmax_forward(const Tensor& x, Tensor& y, bool log);
// grad_x from the forward output y and grad_y.
void softmax_backward(const Tensor& y, const Tensor& grad_y, Tensor& grad_x, bool log);

// ---- channel copy (concat and its backward) ----------------------------------------------
// dst[:, offset:offset+C_src] = src for NCHW (or [N,C]) tensors with equal N and spatial dims.
void copy_channels(const Tensor& src, Tensor& dst, int64_t channel_offset);
// dst = src[:, offset:offset+C_dst].
void slice_channels(const Tensor& src, Tensor& dst, int64_t channel_offset);

}  // namespace cohort::cpu
