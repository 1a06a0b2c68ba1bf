// BatchNorm2d: PyTorch's nn.BatchNorm2d (per-channel normalisation of [N, C, H, W]).
#pragma once

#include "layers/module.h"

namespace cohort::nn {

struct BatchNorm2dOptions {
  double eps = 1e-5;
  double momentum = 0.1;  // running = (1 - momentum)·running + momentum·batch (unbiased var)
  bool affine = true;
};

// Parameters weight [C] = 1, bias [C] = 0 (if affine). Buffers, with PyTorch's names:
// running_mean [C] = 0, running_var [C] = 1 (f32), num_batches_tracked [] = 0 (i64).
// Training forward: batch statistics, running stats updated in place, num_batches_tracked += 1.
// Eval forward: normalises with the running statistics.
class BatchNorm2d : public Layer {
 public:
  explicit BatchNorm2d(int64_t num_features, const BatchNorm2dOptions& options = {});
  Tensor forward(const Tensor& x) override;
  // relu(forward(x)) through the fused op (ops::batch_norm2d_relu): one pass instead of two.
  Tensor forward_relu(const Tensor& x);

  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }
  const Tensor& running_mean() const { return running_mean_; }
  const Tensor& running_var() const { return running_var_; }
  const Tensor& num_batches_tracked() const { return num_batches_tracked_; }

 private:
  Tensor apply(const Tensor& x, bool relu);  // forward and forward_relu

  BatchNorm2dOptions options_;
  Tensor weight_, bias_, running_mean_, running_var_, num_batches_tracked_;
};

}  // namespace cohort::nn
