// CIFAR ResNets of He et al. (2016, §4.2), as the common PyTorch implementation
// (akamaster/pytorch_resnet_cifar10) names and builds them:
//   conv1 (3x3, 16) - bn1 - relu - layer1 (16 ch) - layer2 (32 ch, /2) - layer3 (64 ch, /2)
//   - global average pool - linear
// with n = (depth - 2) / 6 BasicBlocks per stage (conv1, bn1, conv2, bn2, shortcut).
// Shortcut option A (default): x[:, :, ::2, ::2] zero-padded with planes/4 channels on each
// side, no parameters (ResNet-32: 0.46M parameters); option B: shortcut.0 (1x1 conv, stride) +
// shortcut.1 (BN). Init as akamaster: kaiming_normal (fan_in) on conv and linear weights.
// features: [stage1_in, stage1_out, stage2_in, stage2_out, stage3_in, stage3_out].
// On the CPU with oneDNN the forward runs channels last (layers/activation_layout.h); inputs,
// logits and features are NCHW either way.
#pragma once

#include "core/random.h"
#include "layers/layers.h"
#include "layers/models/model.h"

namespace cohort::nn {

class CifarBasicBlock : public Layer {
 public:
  CifarBasicBlock(int64_t in_planes, int64_t planes, int64_t stride, bool shortcut_b,
                  Generator& gen);
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<Conv2d> conv1_, conv2_;
  std::shared_ptr<BatchNorm2d> bn1_, bn2_;
  std::shared_ptr<Sequential> projection_;  // option B
  bool pad_shortcut_ = false;               // option A with a shape change
  int64_t pad_channels_ = 0;
};

class CifarResNet : public Model {
 public:
  CifarResNet(int64_t depth, int64_t num_classes, int64_t in_channels, bool shortcut_b,
              Generator& gen);
  ModelOutput forward_features(const Tensor& x) override;
  Tensor forward(const Tensor& x) override;  // the logits, without converting the features
  std::string name() const override;
  std::vector<std::pair<size_t, size_t>> fsp_pairs() const override { return stage_fsp_pairs(3); }

 private:
  // Channels last on the CPU (layers/activation_layout.h); features only when with_features.
  ModelOutput run(const Tensor& x, bool with_features);

  int64_t depth_;
  std::shared_ptr<Conv2d> conv1_;
  std::shared_ptr<BatchNorm2d> bn1_;
  std::shared_ptr<Sequential> stages_[3];
  std::shared_ptr<Linear> linear_;
};

}  // namespace cohort::nn
