// Linear: PyTorch's nn.Linear, y = x·weightᵀ + bias with weight [out, in].
#pragma once

#include "core/random.h"
#include "layers/module.h"

namespace cohort::nn {

// Initialised as PyTorch's default from `gen`: weight kaiming_uniform(a = sqrt(5)),
// bias U(±1/sqrt(in)). forward: x [N, in] -> [N, out].
class Linear : public Layer {
 public:
  Linear(int64_t in_features, int64_t out_features, Generator& gen, bool bias = true);
  Tensor forward(const Tensor& x) override;

  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }

 private:
  Tensor weight_, bias_;
};

}  // namespace cohort::nn
