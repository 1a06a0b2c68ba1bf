#include "layers/models/mobilenet.h"

#include <algorithm>

#include "core/ops/elementwise.h"
#include "core/ops/nn.h"
#include "layers/activation_layout.h"

namespace cohort::nn {

DepthwiseSeparableBlock::DepthwiseSeparableBlock(int64_t in_planes, int64_t out_planes,
                                                 int64_t stride, Generator& gen)
    : stride_(stride) {
  conv1_ = register_module(
      "conv1", std::make_shared<Conv2d>(in_planes, in_planes, 3, gen,
                                        Conv2dOptions{.stride = stride, .padding = 1,
                                                      .groups = in_planes, .bias = false}));
  bn1_ = register_module("bn1", std::make_shared<BatchNorm2d>(in_planes));
  conv2_ = register_module(
      "conv2", std::make_shared<Conv2d>(in_planes, out_planes, 1, gen, Conv2dOptions{.bias = false}));
  bn2_ = register_module("bn2", std::make_shared<BatchNorm2d>(out_planes));
}

Tensor DepthwiseSeparableBlock::forward(const Tensor& x) {
  Tensor out = bn1_->forward_relu(conv1_->forward(x));
  return bn2_->forward_relu(conv2_->forward(out));
}

MobileNet::MobileNet(int64_t num_classes, int64_t in_channels, double width, Generator& gen)
    : Model(in_channels, 32), width_(width) {
  COHORT_CHECK(width > 0.0 && width <= 4.0, "mobilenet: width multiplier must be in (0, 4], got {}",
               width);
  COHORT_CHECK(num_classes > 0, "mobilenet: num_classes must be positive, got {}", num_classes);
  auto scaled = [&](int64_t c) { return std::max<int64_t>(1, static_cast<int64_t>(c * width)); };
  struct Cfg { int64_t planes, stride; };
  const Cfg cfg[] = {{64, 1},  {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2},  {512, 1},
                     {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1}};
  int64_t in_planes = scaled(32);
  conv1_ = register_module("conv1", std::make_shared<Conv2d>(in_channels, in_planes, 3, gen,
                                                             Conv2dOptions{.padding = 1, .bias = false}));
  bn1_ = register_module("bn1", std::make_shared<BatchNorm2d>(in_planes));
  layers_ = register_module("layers", std::make_shared<Sequential>());
  for (const Cfg& c : cfg) {
    blocks_.push_back(layers_->push_back(
        std::make_shared<DepthwiseSeparableBlock>(in_planes, scaled(c.planes), c.stride, gen)));
    in_planes = scaled(c.planes);
  }
  linear_ = register_module("linear", std::make_shared<Linear>(in_planes, num_classes, gen));
}

ModelOutput MobileNet::forward_features(const Tensor& x) { return run(x, true); }

Tensor MobileNet::forward(const Tensor& x) { return run(x, false).logits; }

ModelOutput MobileNet::run(const Tensor& x, bool with_features) {
  ChannelsLastScope layout(channels_last_for(x));
  ModelOutput out;
  Tensor h = bn1_->forward_relu(conv1_->forward(to_active_layout(x)));
  for (size_t i = 0; i < blocks_.size(); ++i) {
    h = blocks_[i]->forward(h);
    // Tap the last block before each downsampling block, and the last block.
    if (with_features && (i + 1 == blocks_.size() || blocks_[i + 1]->stride() != 1))
      out.features.push_back(to_nchw(h));
  }
  out.embedding = global_avg_pool(h);
  out.logits = linear_->forward(out.embedding);
  return out;
}

}  // namespace cohort::nn
