// Splitting a model's named parameters into a weight-decay group and a no-decay group — the
// common recipe of not decaying biases and normalisation (BN) parameters.
//
// The rule (is_no_decay): a parameter gets NO weight decay when
//   - it has at most one dimension (biases, BatchNorm/LayerNorm weight and bias are 1-D), or
//   - its dotted name ends in ".bias" or is "bias" (a bias of any shape).
// Everything else (conv kernels, linear weights, embeddings) is decayed. BN running statistics
// are buffers, not parameters, so they never reach an optimiser.
#pragma once

#include <string>
#include <vector>

#include "core/tensor.h"
#include "optim/optimizer.h"

namespace cohort::optim {

bool is_no_decay(const std::string& name, const Tensor& param);

// Two groups, always in this order (either may be empty):
//   [0] the decayed parameters, with options.weight_decay = weight_decay;
//   [1] the others (is_no_decay), with options.weight_decay = 0.
// Parameters keep their order within each group. Other options come from the optimiser.
std::vector<ParamGroup> split_weight_decay(const NamedTensors& named_params, double weight_decay);

}  // namespace cohort::optim
