// cnn-small: a tiny convnet for tests and MNIST (about 20k parameters + the classifier):
//   conv1 (3x3, 32, pad 1) - bn1 - relu - maxpool 2 - conv2 (3x3, 64, pad 1) - bn2 - relu
//   - maxpool 2 - global average pool - fc
// Default PyTorch init. input_size() is 28 with 1 input channel (MNIST), else 32; the global
// pool makes any size >= 4 work.
// features: [block1 output (32 ch, H/2), block2 output (64 ch, H/4)]. No FSP pairs.
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
  std::shared_ptr<Linear> fc_;
};

}  // namespace cohort::nn
