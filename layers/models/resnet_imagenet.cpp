#include "layers/models/resnet_imagenet.h"

#include "core/init.h"
#include "core/ops/elementwise.h"
#include "core/ops/nn.h"

namespace cohort::nn {

namespace {

std::shared_ptr<Conv2d> tv_conv(int64_t in, int64_t out, int64_t kernel, int64_t stride,
                                Generator& gen) {
  auto conv = std::make_shared<Conv2d>(
      in, out, kernel, gen, Conv2dOptions{.stride = stride, .padding = kernel / 2, .bias = false});
  Tensor w = conv->weight();
  init::kaiming_normal_(w, gen, 0.0, "fan_out", "relu");
  return conv;
}

}  // namespace

TorchvisionBasicBlock::TorchvisionBasicBlock(int64_t in_planes, int64_t planes, int64_t stride,
                                             Generator& gen) {
  conv1_ = register_module("conv1", tv_conv(in_planes, planes, 3, stride, gen));
  bn1_ = register_module("bn1", std::make_shared<BatchNorm2d>(planes));
  conv2_ = register_module("conv2", tv_conv(planes, planes, 3, 1, gen));
  bn2_ = register_module("bn2", std::make_shared<BatchNorm2d>(planes));
  if (stride != 1 || in_planes != planes) {
    downsample_ = register_module("downsample", std::make_shared<Sequential>());
    downsample_->push_back(tv_conv(in_planes, planes, 1, stride, gen));
    downsample_->push_back(std::make_shared<BatchNorm2d>(planes));
  }
}

Tensor TorchvisionBasicBlock::forward(const Tensor& x) {
  Tensor out = bn1_->forward_relu(conv1_->forward(x));
  out = bn2_->forward(conv2_->forward(out));
  return ops::relu(out + (downsample_ ? downsample_->forward(x) : x));
}

ImageNetResNet::ImageNetResNet(int64_t depth, int64_t num_classes, int64_t in_channels,
                               Generator& gen)
    : Model(in_channels, 224), depth_(depth) {
  COHORT_CHECK(depth == 18 || depth == 34, "resnet: ImageNet ResNet depth must be 18 or 34, got {}",
               depth);
  COHORT_CHECK(num_classes > 0, "resnet{}: num_classes must be positive, got {}", depth, num_classes);
  const int64_t blocks18[4] = {2, 2, 2, 2}, blocks34[4] = {3, 4, 6, 3};
  const int64_t* blocks = depth == 18 ? blocks18 : blocks34;
  conv1_ = register_module("conv1", tv_conv(in_channels, 64, 7, 2, gen));
  bn1_ = register_module("bn1", std::make_shared<BatchNorm2d>(64));
  maxpool_ = std::make_shared<MaxPool2d>(3, 2, 1);
  int64_t in_planes = 64;
  for (int s = 0; s < 4; ++s) {
    const int64_t planes = 64 << s;
    stages_[s] = register_module("layer" + std::to_string(s + 1), std::make_shared<Sequential>());
    for (int64_t b = 0; b < blocks[s]; ++b) {
      const int64_t stride = (s > 0 && b == 0) ? 2 : 1;
      stages_[s]->push_back(std::make_shared<TorchvisionBasicBlock>(in_planes, planes, stride, gen));
      in_planes = planes;
    }
  }
  fc_ = register_module("fc", std::make_shared<Linear>(512, num_classes, gen));
}

ModelOutput ImageNetResNet::forward_features(const Tensor& x) {
  ModelOutput out;
  Tensor h = maxpool_->forward(bn1_->forward_relu(conv1_->forward(x)));
  for (auto& stage : stages_) {
    out.features.push_back(h);
    h = stage->forward(h);
    out.features.push_back(h);
  }
  out.embedding = ops::global_avg_pool2d(h);
  out.logits = fc_->forward(out.embedding);
  return out;
}

}  // namespace cohort::nn
