// ImageNet-style ResNet-18/34 (He et al. 2016) with torchvision's names and structure:
//   conv1 (7x7/2, 64) - bn1 - relu - maxpool (3x3/2) - layer1..4 (64, 128/2, 256/2, 512/2)
//   - global average pool - fc
// BasicBlocks (conv1, bn1, conv2, bn2, downsample.0 = 1x1 conv, downsample.1 = BN); 18: [2,2,2,2]
// blocks, 34: [3,4,6,3]. Init as torchvision: conv kaiming_normal (fan_out, relu), BN 1/0.
// Designed for 224x224 inputs (input_size() = 224); any size >= 32 works.
// features: [stage1_in, stage1_out, ..., stage4_in, stage4_out] (stage1_in = maxpool output).
#pragma once

#include "core/random.h"
#include "layers/layers.h"
#include "layers/models/model.h"

namespace cohort::nn {

class TorchvisionBasicBlock : public Layer {
 public:
  TorchvisionBasicBlock(int64_t in_planes, int64_t planes, int64_t stride, Generator& gen);
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<Conv2d> conv1_, conv2_;
  std::shared_ptr<BatchNorm2d> bn1_, bn2_;
  std::shared_ptr<Sequential> downsample_;
};

class ImageNetResNet : public Model {
 public:
  ImageNetResNet(int64_t depth, int64_t num_classes, int64_t in_channels, Generator& gen);
  ModelOutput forward_features(const Tensor& x) override;
  std::string name() const override { return "resnet" + std::to_string(depth_); }
  std::vector<std::pair<size_t, size_t>> fsp_pairs() const override { return stage_fsp_pairs(4); }

 private:
  int64_t depth_;
  std::shared_ptr<Conv2d> conv1_;
  std::shared_ptr<BatchNorm2d> bn1_;
  std::shared_ptr<MaxPool2d> maxpool_;
  std::shared_ptr<Sequential> stages_[4];
  std::shared_ptr<Linear> fc_;
};

}  // namespace cohort::nn
