// CPU optimiser updates over lists of tensors. Signatures are mirrored exactly in
// kernels/cuda/optim.h, where each call is a handful of fused multi-tensor launches.
//
// Contracts shared by both functions:
//  - every list has the same length; entry i of each list has the shape of params[i];
//  - all tensors are contiguous, on one device, of one floating dtype (f32 or f64);
//  - params and the state lists are updated in place; grads are only read;
//  - the per-element formulas are kernels/common/optim_math.h (PyTorch's, in its order).
#pragma once

#include <vector>

#include "core/tensor.h"
#include "kernels/common/optim_math.h"

namespace cohort::cpu {

// SGD: momentum_bufs is empty when h.momentum == 0; otherwise one buffer per parameter
// (overwritten with the first step's direction when h.init_buffers).
void sgd_update(std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                std::vector<Tensor>& momentum_bufs, const SgdHyper& h);

// Adam / AdamW: exp_avgs and exp_avg_sqs hold one moment per parameter; max_exp_avg_sqs is
// empty unless h.amsgrad.
void adam_update(std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                 std::vector<Tensor>& exp_avgs, std::vector<Tensor>& exp_avg_sqs,
                 std::vector<Tensor>& max_exp_avg_sqs, const AdamHyper& h);

}  // namespace cohort::cpu
