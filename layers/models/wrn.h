// Wide ResNets (Zagoruyko & Komodakis, 2016), pre-activation, as the common PyTorch
// implementation (xternalz/WideResNet-pytorch) names and builds them:
//   conv1 (3x3, 16) - block1 (16k) - block2 (32k, /2) - block3 (64k, /2) - bn1 - relu
//   - global average pool - fc
// with n = (depth - 4) / 6 blocks per stage, each "blockS.layer.i" holding bn1, conv1, bn2,
// conv2 and, when its input and output widths differ, convShortcut (1x1, stride). Dropout (if
// > 0) sits between relu(bn2) and conv2. Init as xternalz: conv kaiming_normal (fan_out, relu),
// BN 1/0, fc bias 0. WRN-28-10: 36.5M parameters.
// features: [stage1_in, stage1_out, stage2_in, stage2_out, stage3_in, stage3_out]; stage
// outputs are the pre-activation sums leaving each stage.
#pragma once

#include "core/random.h"
#include "layers/layers.h"
#include "layers/models/model.h"

namespace cohort::nn {

class WideBasicBlock : public Layer {
 public:
  WideBasicBlock(int64_t in_planes, int64_t out_planes, int64_t stride, double dropout,
                 Generator& gen);
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<BatchNorm2d> bn1_, bn2_;
  std::shared_ptr<Conv2d> conv1_, conv2_, shortcut_;
  std::shared_ptr<Dropout> dropout_;
};

class WideResNet : public Model {
 public:
  WideResNet(int64_t depth, int64_t widen_factor, int64_t num_classes, int64_t in_channels,
             double dropout, Generator& gen);
  ModelOutput forward_features(const Tensor& x) override;
  Tensor forward(const Tensor& x) override;  // the logits, without converting the features
  std::string name() const override;
  std::vector<std::pair<size_t, size_t>> fsp_pairs() const override { return stage_fsp_pairs(3); }

 private:
  // Channels last on the CPU without dropout (layers/activation_layout.h); features only when
  // with_features.
  ModelOutput run(const Tensor& x, bool with_features);

  int64_t depth_, widen_factor_;
  double dropout_;
  std::shared_ptr<Conv2d> conv1_;
  std::shared_ptr<Layer> stages_[3];  // block1..3
  std::shared_ptr<BatchNorm2d> bn1_;
  std::shared_ptr<Linear> fc_;
};

}  // namespace cohort::nn
