#include "layers/models/wrn.h"

#include <limits>

#include "core/init.h"
#include "core/ops/elementwise.h"
#include "core/ops/nn.h"
#include "layers/activation_layout.h"

namespace cohort::nn {

namespace {

std::shared_ptr<Conv2d> wrn_conv(int64_t in, int64_t out, int64_t kernel, int64_t stride,
                                 Generator& gen) {
  auto conv = std::make_shared<Conv2d>(
      in, out, kernel, gen, Conv2dOptions{.stride = stride, .padding = kernel / 2, .bias = false});
  Tensor w = conv->weight();
  init::kaiming_normal_(w, gen, 0.0, "fan_out", "relu");
  return conv;
}

// A 'Sequential' wrapper named like xternalz's NetworkBlock: its blocks are "layer.0", ...
class NetworkBlock : public Layer {
 public:
  NetworkBlock() { layer_ = register_module("layer", std::make_shared<Sequential>()); }
  Sequential& layer() { return *layer_; }
  Tensor forward(const Tensor& x) override { return layer_->forward(x); }

 private:
  std::shared_ptr<Sequential> layer_;
};

}  // namespace

WideBasicBlock::WideBasicBlock(int64_t in_planes, int64_t out_planes, int64_t stride,
                               double dropout, Generator& gen) {
  bn1_ = register_module("bn1", std::make_shared<BatchNorm2d>(in_planes));
  conv1_ = register_module("conv1", wrn_conv(in_planes, out_planes, 3, stride, gen));
  bn2_ = register_module("bn2", std::make_shared<BatchNorm2d>(out_planes));
  conv2_ = register_module("conv2", wrn_conv(out_planes, out_planes, 3, 1, gen));
  if (in_planes != out_planes)
    shortcut_ = register_module("convShortcut", wrn_conv(in_planes, out_planes, 1, stride, gen));
  // Parameter-free (the state dict matches xternalz's F.dropout); its seed comes from `gen`.
  if (dropout > 0.0)
    dropout_ = register_module(
        "dropout", std::make_shared<Dropout>(dropout, gen.randint(std::numeric_limits<uint32_t>::max())));
}

Tensor WideBasicBlock::forward(const Tensor& x) {
  // xternalz: when widths differ, the shortcut also reads the pre-activated input.
  Tensor act = bn1_->forward_relu(x);
  Tensor out = bn2_->forward_relu(conv1_->forward(act));
  if (dropout_) out = dropout_->forward(out);
  out = conv2_->forward(out);
  return (shortcut_ ? shortcut_->forward(act) : x) + out;
}

WideResNet::WideResNet(int64_t depth, int64_t widen_factor, int64_t num_classes,
                       int64_t in_channels, double dropout, Generator& gen)
    : Model(in_channels, 32), depth_(depth), widen_factor_(widen_factor), dropout_(dropout) {
  COHORT_CHECK(depth >= 10 && (depth - 4) % 6 == 0,
               "wrn: depth must be 6n+4 with n >= 1, got {}", depth);
  COHORT_CHECK(widen_factor >= 1, "wrn: widen factor must be >= 1, got {}", widen_factor);
  COHORT_CHECK(num_classes > 0, "wrn: num_classes must be positive, got {}", num_classes);
  COHORT_CHECK(dropout >= 0.0 && dropout < 1.0, "wrn: dropout must be in [0, 1), got {}", dropout);
  const int64_t n = (depth - 4) / 6;
  const int64_t channels[4] = {16, 16 * widen_factor, 32 * widen_factor, 64 * widen_factor};
  conv1_ = register_module("conv1", wrn_conv(in_channels, channels[0], 3, 1, gen));
  for (int s = 0; s < 3; ++s) {
    auto block = register_module("block" + std::to_string(s + 1), std::make_shared<NetworkBlock>());
    for (int64_t b = 0; b < n; ++b) {
      const int64_t in = b == 0 ? channels[s] : channels[s + 1];
      const int64_t stride = (s > 0 && b == 0) ? 2 : 1;
      block->layer().push_back(
          std::make_shared<WideBasicBlock>(in, channels[s + 1], stride, dropout, gen));
    }
    stages_[s] = block;
  }
  bn1_ = register_module("bn1", std::make_shared<BatchNorm2d>(channels[3]));
  fc_ = register_module("fc", std::make_shared<Linear>(channels[3], num_classes, gen));
  Tensor bias = fc_->bias();
  bias.zero_();
}

ModelOutput WideResNet::forward_features(const Tensor& x) { return run(x, true); }

Tensor WideResNet::forward(const Tensor& x) { return run(x, false).logits; }

ModelOutput WideResNet::run(const Tensor& x, bool with_features) {
  // Dropout draws its mask by element index, so a channels-last forward would drop other
  // elements than the NCHW one (and than the GPU): with dropout the model stays NCHW.
  ChannelsLastScope layout(dropout_ == 0.0 && channels_last_for(x));
  ModelOutput out;
  auto tap = [&](const Tensor& t) {
    if (with_features) out.features.push_back(to_nchw(t));
  };
  Tensor h = conv1_->forward(to_active_layout(x));
  for (auto& stage : stages_) {
    tap(h);
    h = stage->forward(h);
    tap(h);
  }
  h = bn1_->forward_relu(h);
  out.embedding = global_avg_pool(h);
  out.logits = fc_->forward(out.embedding);
  return out;
}

std::string WideResNet::name() const {
  return "wrn-" + std::to_string(depth_) + "-" + std::to_string(widen_factor_);
}

}  // namespace cohort::nn
