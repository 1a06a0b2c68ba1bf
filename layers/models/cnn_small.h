// cnn-small: a small convnet for tests and MNIST (0.42M parameters at 28x28, 0.54M at 32x32):
//   conv1 (3x3, 32, pad 1) - bn1 - relu - maxpool 2 - conv2 (3x3, 64, pad 1) - bn2 - relu
//   - maxpool 2 - flatten - fc1 (128) - relu - fc2 (classes)
// Default PyTorch init. input_size() is 28 with 1 input channel (MNIST), else 32; the flattened
// size is fixed by it, so inputs must be input_size() x input_size(). (A global-average-pooled
// variant could not pass 97 % on MNIST in one epoch: it stalls near 87-89 %.)
// features: [block1 output (32 ch, H/2), block2 output (64 ch, H/4)]; embedding: the fc1
// activations (128). No FSP pairs.
#pragma once

#include "core/random.h"
#include "layers/layers.h"
#include "layers/models/model.h"

namespace cohort::nn {

class CnnSmall : public Model {
 public:
  CnnSmall(int64_t num_classes, int64_t in_channels, Generator& gen);
  ModelOutput forward_features(const Tensor& x) override;
  std::string name() const override { return "cnn-small"; }

 private:
  std::shared_ptr<Conv2d> conv1_, conv2_;
  std::shared_ptr<BatchNorm2d> bn1_, bn2_;
  std::shared_ptr<MaxPool2d> pool_;
  std::shared_ptr<Linear> fc1_, fc2_;
};

}  // namespace cohort::nn
