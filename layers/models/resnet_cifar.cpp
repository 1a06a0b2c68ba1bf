#include "layers/models/resnet_cifar.h"

#include "core/init.h"
#include "core/ops/elementwise.h"
#include "core/ops/nn.h"
#include "layers/activation_layout.h"

namespace cohort::nn {

namespace {

std::shared_ptr<Conv2d> conv3x3(int64_t in, int64_t out, int64_t stride, Generator& gen) {
  auto conv = std::make_shared<Conv2d>(in, out, 3, gen,
                                       Conv2dOptions{.stride = stride, .padding = 1, .bias = false});
  Tensor w = conv->weight();
  init::kaiming_normal_(w, gen);  // akamaster's _weights_init
  return conv;
}

// Option A: keep every second pixel (a 1x1 average pool with stride 2 is exactly x[:, :, ::2, ::2])
// and zero-pad the channels symmetrically.
Tensor pad_shortcut(const Tensor& x, int64_t pad_channels) {
  Pool2dParams subsample{.kernel_h = 1, .kernel_w = 1, .stride_h = 2, .stride_w = 2};
  Tensor s = ops::avg_pool2d(x, subsample);
  Tensor zeros = Tensor::zeros({s.size(0), pad_channels, s.size(2), s.size(3)}, s.dtype(), s.device());
  return ops::concat_channels({zeros, s, zeros});
}

// The same on channels-last x [N,H,W,C], through the NCHW ops on reshaped views. A 1x1 pool with
// strides (2, 1) keeps every second index of its input's dim 2: once on [N, H, W, C] (every
// second w), once on [N, 1, H, W/2·C] (every second h); concat_channels then joins dim 1 of
// [pixels, C, 1, 1].
Tensor pad_shortcut_channels_last(const Tensor& x, int64_t pad_channels) {
  const int64_t N = x.size(0), H = x.size(1), C = x.size(3);
  Pool2dParams every_second{.kernel_h = 1, .kernel_w = 1, .stride_h = 2, .stride_w = 1};
  Tensor s = ops::avg_pool2d(x, every_second);  // [N, H, W/2, C]
  const int64_t Wo = s.size(2);
  s = ops::avg_pool2d(s.reshape({N, 1, H, Wo * C}), every_second);  // [N, 1, H/2, W/2·C]
  const int64_t Ho = s.size(2);
  Tensor pixels = s.reshape({N * Ho * Wo, C, 1, 1});
  Tensor zeros = Tensor::zeros({N * Ho * Wo, pad_channels, 1, 1}, x.dtype(), x.device());
  return ops::concat_channels({zeros, pixels, zeros}).reshape({N, Ho, Wo, C + 2 * pad_channels});
}

}  // namespace

CifarBasicBlock::CifarBasicBlock(int64_t in_planes, int64_t planes, int64_t stride,
                                 bool shortcut_b, Generator& gen) {
  conv1_ = register_module("conv1", conv3x3(in_planes, planes, stride, gen));
  bn1_ = register_module("bn1", std::make_shared<BatchNorm2d>(planes));
  conv2_ = register_module("conv2", conv3x3(planes, planes, 1, gen));
  bn2_ = register_module("bn2", std::make_shared<BatchNorm2d>(planes));
  if (stride != 1 || in_planes != planes) {
    if (shortcut_b) {
      projection_ = register_module("shortcut", std::make_shared<Sequential>());
      auto conv = std::make_shared<Conv2d>(in_planes, planes, 1, gen,
                                           Conv2dOptions{.stride = stride, .bias = false});
      Tensor w = conv->weight();
      init::kaiming_normal_(w, gen);
      projection_->push_back(conv);
      projection_->push_back(std::make_shared<BatchNorm2d>(planes));
    } else {
      COHORT_CHECK(stride == 2 && planes == 2 * in_planes,
                   "CifarBasicBlock: option A shortcut needs stride 2 and doubled channels, got "
                   "{} -> {} stride {}", in_planes, planes, stride);
      pad_shortcut_ = true;
      pad_channels_ = planes / 4;
    }
  }
}

Tensor CifarBasicBlock::forward(const Tensor& x) {
  Tensor out = bn1_->forward_relu(conv1_->forward(x));
  out = bn2_->forward(conv2_->forward(out));
  Tensor shortcut = projection_     ? projection_->forward(x)
                    : !pad_shortcut_ ? x
                    : channels_last_active() ? pad_shortcut_channels_last(x, pad_channels_)
                                             : pad_shortcut(x, pad_channels_);
  return ops::relu(out + shortcut);
}

CifarResNet::CifarResNet(int64_t depth, int64_t num_classes, int64_t in_channels,
                         bool shortcut_b, Generator& gen)
    : Model(in_channels, 32), depth_(depth) {
  COHORT_CHECK(depth >= 8 && (depth - 2) % 6 == 0,
               "resnet: CIFAR ResNet depth must be 6n+2 with n >= 1, got {}", depth);
  COHORT_CHECK(num_classes > 0, "resnet{}: num_classes must be positive, got {}", depth, num_classes);
  const int64_t n = (depth - 2) / 6;
  conv1_ = register_module("conv1", conv3x3(in_channels, 16, 1, gen));
  bn1_ = register_module("bn1", std::make_shared<BatchNorm2d>(16));
  int64_t in_planes = 16;
  const int64_t planes[3] = {16, 32, 64};
  for (int s = 0; s < 3; ++s) {
    stages_[s] = register_module("layer" + std::to_string(s + 1), std::make_shared<Sequential>());
    for (int64_t b = 0; b < n; ++b) {
      const int64_t stride = (s > 0 && b == 0) ? 2 : 1;
      stages_[s]->push_back(
          std::make_shared<CifarBasicBlock>(in_planes, planes[s], stride, shortcut_b, gen));
      in_planes = planes[s];
    }
  }
  linear_ = register_module("linear", std::make_shared<Linear>(64, num_classes, gen));
  Tensor w = linear_->weight();
  init::kaiming_normal_(w, gen);
}

ModelOutput CifarResNet::forward_features(const Tensor& x) { return run(x, true); }

Tensor CifarResNet::forward(const Tensor& x) { return run(x, false).logits; }

ModelOutput CifarResNet::run(const Tensor& x, bool with_features) {
  ChannelsLastScope layout(channels_last_for(x));
  ModelOutput out;
  // The features are NCHW whatever the layout; converted only when asked for.
  auto tap = [&](const Tensor& t) {
    if (with_features) out.features.push_back(to_nchw(t));
  };
  Tensor h = bn1_->forward_relu(conv1_->forward(to_active_layout(x)));
  for (auto& stage : stages_) {
    tap(h);
    h = stage->forward(h);
    tap(h);
  }
  out.embedding = global_avg_pool(h);
  out.logits = linear_->forward(out.embedding);
  return out;
}

std::string CifarResNet::name() const { return "resnet" + std::to_string(depth_); }

}  // namespace cohort::nn
