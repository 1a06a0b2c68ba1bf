// MobileNet v1 for 32x32 inputs (Howard et al. 2017), as the common PyTorch CIFAR
// implementation (kuangliu/pytorch-cifar) names and builds it:
//   conv1 (3x3, 32) - bn1 - relu - layers.0..12 - global average pool - linear
// Each "layers.i" is a depthwise-separable block: conv1 (3x3 depthwise, stride), bn1, relu,
// conv2 (1x1), bn2, relu. Widths 64, 128/2, 128, 256/2, 256, 512/2, 512 x5, 1024/2, 1024 ("/2":
// stride 2), every width (and conv1's 32) scaled by the width multiplier (int(c·width), >= 1).
// kuangliu pools with avg_pool2d(out, 2), the same as the global pool for 32x32 inputs.
// With 100 classes and width 1: 3.3M parameters (DML paper, Table 1). Default PyTorch init.
// features: the output of the last block at each resolution — 32², 16², 8², 4², 2² for 32x32
// input (layers.0, .2, .4, .10, .12). No FSP pairs.
#pragma once

#include "core/random.h"
#include "layers/layers.h"
#include "layers/models/model.h"

namespace cohort::nn {

class DepthwiseSeparableBlock : public Layer {
 public:
  DepthwiseSeparableBlock(int64_t in_planes, int64_t out_planes, int64_t stride, Generator& gen);
  Tensor forward(const Tensor& x) override;
  int64_t stride() const { return stride_; }

 private:
  int64_t stride_;
  std::shared_ptr<Conv2d> conv1_, conv2_;
  std::shared_ptr<BatchNorm2d> bn1_, bn2_;
};

class MobileNet : public Model {
 public:
  MobileNet(int64_t num_classes, int64_t in_channels, double width, Generator& gen);
  ModelOutput forward_features(const Tensor& x) override;
  Tensor forward(const Tensor& x) override;  // the logits, without converting the features
  std::string name() const override { return "mobilenet"; }
  double width() const { return width_; }

 private:
  // Channels last on the CPU (layers/activation_layout.h); features only when with_features.
  ModelOutput run(const Tensor& x, bool with_features);

  double width_;
  std::shared_ptr<Conv2d> conv1_;
  std::shared_ptr<BatchNorm2d> bn1_;
  std::shared_ptr<Sequential> layers_;
  std::vector<std::shared_ptr<DepthwiseSeparableBlock>> blocks_;
  std::shared_ptr<Linear> linear_;
};

}  // namespace cohort::nn
