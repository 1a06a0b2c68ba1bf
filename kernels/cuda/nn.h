// CUDA kernels of the NCHW network ops: the declarations of kernels/cpu/nn.h in namespace
// cohort::cuda, with the same contracts (contiguous NCHW tensors, preallocated outputs that are
// overwritten, optional tensors undefined). Where each comes from:
//   conv2d (forward, backward-data, backward-weight)  cuDNN, algorithm cached per problem
//                                                      (nn_conv.cpp); TF32 per allow_tf32_conv()
//   batch norm                                         hand-written (nn_batch_norm.cu): the CPU's
//                                                      contract exactly, any eps, no affine
//   max/avg pooling                                    hand-written (nn_pool.cu): the CPU's
//                                                      indices (first maximum, h·W + w)
//   pad2d, softmax/log_softmax, channel copies         hand-written / cudaMemcpy2DAsync
#pragma once

#include "core/tensor.h"
#include "kernels/common/nn_params.h"

namespace cohort::cuda {

void conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& bias, Tensor& y,
                    const Conv2dParams& p);
void conv2d_backward_data(const Tensor& grad_y, const Tensor& w, Tensor& grad_x,
                          const Conv2dParams& p);
void conv2d_backward_weight(const Tensor& grad_y, const Tensor& x, Tensor& grad_w,
                            const Conv2dParams& p);

void batch_norm_forward_train(const Tensor& x, const Tensor& weight, const Tensor& bias,
                              Tensor& running_mean, Tensor& running_var, double momentum,
                              double eps, Tensor& y, Tensor& save_mean, Tensor& save_invstd);
void batch_norm_forward_eval(const Tensor& x, const Tensor& weight, const Tensor& bias,
                             const Tensor& running_mean, const Tensor& running_var, double eps,
                             Tensor& y);
void batch_norm_backward(const Tensor& grad_y, const Tensor& x, const Tensor& weight,
                         const Tensor& save_mean, const Tensor& save_invstd, Tensor& grad_x,
                         Tensor& grad_weight, Tensor& grad_bias);

void max_pool2d_forward(const Tensor& x, Tensor& y, Tensor& indices, const Pool2dParams& p);
void max_pool2d_backward(const Tensor& grad_y, const Tensor& indices, Tensor& grad_x,
                         const Pool2dParams& p);
void avg_pool2d_forward(const Tensor& x, Tensor& y, const Pool2dParams& p);
void avg_pool2d_backward(const Tensor& grad_y, Tensor& grad_x, const Pool2dParams& p);

void pad2d_forward(const Tensor& x, Tensor& y, const Pad2dParams& p);
void pad2d_backward(const Tensor& grad_y, Tensor& grad_x, const Pad2dParams& p);

void softmax_forward(const Tensor& x, Tensor& y, bool log);
void softmax_backward(const Tensor& y, const Tensor& grad_y, Tensor& grad_x, bool log);

void copy_channels(const Tensor& src, Tensor& dst, int64_t channel_offset);
void slice_channels(const Tensor& src, Tensor& dst, int64_t channel_offset);

}  // namespace cohort::cuda
