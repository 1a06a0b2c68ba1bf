// The channels-last (NHWC) CPU batch norm kernels behind cpu::batch_norm_* (kernels/nn.h) when
// they are called with channels_last: same arguments and contracts, with x, y, grad_y, grad_x
// and relu_y [N,H,W,C]. Implemented in nn_batch_norm_nhwc.cpp.
#pragma once

#include "kernels/common/view.h"

namespace cohort::cpu::batch_norm_nhwc {

void forward_train(ConstView x, ConstView weight, ConstView bias, View running_mean, View running_var,
                   double momentum, double eps, bool fuse_relu, View y, View save_mean, View save_invstd);
void forward_eval(ConstView x, ConstView weight, ConstView bias, ConstView running_mean,
                  ConstView running_var, double eps, bool fuse_relu, View y);
void backward(ConstView grad_y, ConstView x, ConstView weight, ConstView save_mean, ConstView save_invstd,
              ConstView relu_y, View grad_x, View grad_weight, View grad_bias);

}  // namespace cohort::cpu::batch_norm_nhwc
