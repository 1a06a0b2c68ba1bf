// Conv2d: PyTorch's nn.Conv2d (square kernel, symmetric stride/padding/dilation).
#pragma once

#include "core/random.h"
#include "layers/module.h"

namespace cohort::nn {

struct Conv2dOptions {
  int64_t stride = 1;
  int64_t padding = 0;
  int64_t dilation = 1;
  int64_t groups = 1;
  bool bias = true;
};

// Parameters: weight [out, in/groups, k, k], bias [out] (if options.bias). Initialised as
// PyTorch's default from `gen`: weight kaiming_uniform(a = sqrt(5)), bias U(±1/sqrt(fan_in)).
// forward: x [N, in, H, W] -> [N, out, P, Q].
class Conv2d : public Layer {
 public:
  Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel_size, Generator& gen,
         const Conv2dOptions& options = {});
  Tensor forward(const Tensor& x) override;

  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }  // undefined without bias
  const Conv2dOptions& options() const { return options_; }

 private:
  Conv2dOptions options_;
  Tensor weight_, bias_;
};

}  // namespace cohort::nn
