// CUDA optimiser updates over lists of tensors: the same signatures and contracts as
// kernels/cpu/optim.h. Each call is a handful of fused multi-tensor launches
// (kernels/cuda/multi_tensor_apply.cuh) on the current stream of the tensors' device — the
// whole model's update, not one launch per tensor per arithmetic step. No host sync.
#pragma once

#include <vector>

#include "core/tensor.h"
#include "kernels/common/optim_math.h"

namespace cohort::cuda {

void sgd_update(std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                std::vector<Tensor>& momentum_bufs, const SgdHyper& h);

void adam_update(std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                 std::vector<Tensor>& exp_avgs, std::vector<Tensor>& exp_avg_sqs,
                 std::vector<Tensor>& max_exp_avg_sqs, const AdamHyper& h);

}  // namespace cohort::cuda
