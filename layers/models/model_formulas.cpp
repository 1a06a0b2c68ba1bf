// model_summary_from_formulas (layers/models/registry.h): parameters and FLOPs of each family for
// one 3x32x32 image with the default options, counted layer by layer from the architectures
// (the same layers the constructors in this folder build), so `cohort models` needs no model.
// FLOPs follow layers/flops.h: 2 x multiply-adds of the convolutions and linear layers only.
#include "layers/models/registry.h"

namespace cohort::nn {

namespace {

struct Counts {
  int64_t params = 0, flops = 0;

  // A bias-free k x k convolution (groups divide both widths) producing an out_side² map.
  void conv(int64_t in, int64_t out, int64_t k, int64_t out_side, int64_t groups = 1) {
    const int64_t weights = out * (in / groups) * k * k;
    params += weights;
    flops += 2 * weights * out_side * out_side;
  }
  void batch_norm(int64_t channels) { params += 2 * channels; }
  void linear(int64_t in, int64_t out) {
    params += in * out + out;
    flops += 2 * in * out;
  }
};

constexpr int64_t kIn = 3, kSide = 32;

Counts cifar_resnet(int64_t depth, int64_t classes) {
  Counts c;
  c.conv(kIn, 16, 3, kSide);
  c.batch_norm(16);
  int64_t in = 16, side = kSide;
  for (int64_t planes : {16, 32, 64}) {
    for (int64_t b = 0; b < (depth - 2) / 6; ++b) {
      if (planes != 16 && b == 0) side /= 2;
      c.conv(in, planes, 3, side);  // option-A shortcuts have no parameters
      c.batch_norm(planes);
      c.conv(planes, planes, 3, side);
      c.batch_norm(planes);
      in = planes;
    }
  }
  c.linear(64, classes);
  return c;
}

Counts wide_resnet(int64_t depth, int64_t widen, int64_t classes) {
  Counts c;
  c.conv(kIn, 16, 3, kSide);
  int64_t in = 16, side = kSide;
  for (int64_t base : {16, 32, 64}) {
    const int64_t out = base * widen;
    for (int64_t b = 0; b < (depth - 4) / 6; ++b) {
      if (base != 16 && b == 0) side /= 2;
      c.batch_norm(in);
      c.conv(in, out, 3, side);
      c.batch_norm(out);
      c.conv(out, out, 3, side);
      if (in != out) c.conv(in, out, 1, side);
      in = out;
    }
  }
  c.batch_norm(in);
  c.linear(in, classes);
  return c;
}

Counts mobilenet(int64_t classes) {
  Counts c;
  c.conv(kIn, 32, 3, kSide);
  c.batch_norm(32);
  int64_t in = 32, side = kSide;
  const int64_t planes[] = {64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024};
  const int64_t strides[] = {1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1};
  for (int i = 0; i < 13; ++i) {
    side /= strides[i];
    c.conv(in, in, 3, side, /*groups=*/in);
    c.batch_norm(in);
    c.conv(in, planes[i], 1, side);
    c.batch_norm(planes[i]);
    in = planes[i];
  }
  c.linear(in, classes);
  return c;
}

Counts imagenet_resnet(int64_t depth, int64_t classes) {
  Counts c;
  int64_t side = kSide / 2;  // 7x7 stride-2 stem
  c.conv(kIn, 64, 7, side);
  c.batch_norm(64);
  side /= 2;  // 3x3 stride-2 max pool
  const int64_t blocks18[4] = {2, 2, 2, 2}, blocks34[4] = {3, 4, 6, 3};
  const int64_t* blocks = depth == 18 ? blocks18 : blocks34;
  int64_t in = 64;
  for (int s = 0; s < 4; ++s) {
    const int64_t planes = int64_t{64} << s;
    for (int64_t b = 0; b < blocks[s]; ++b) {
      const bool down = s > 0 && b == 0;
      if (down) side = (side + 1) / 2;
      c.conv(in, planes, 3, side);
      c.batch_norm(planes);
      c.conv(planes, planes, 3, side);
      c.batch_norm(planes);
      if (down || in != planes) {
        c.conv(in, planes, 1, side);
        c.batch_norm(planes);
      }
      in = planes;
    }
  }
  c.linear(512, classes);
  return c;
}

Counts cnn_small(int64_t classes) {
  Counts c;
  c.conv(kIn, 32, 3, kSide);
  c.batch_norm(32);
  c.conv(32, 64, 3, kSide / 2);
  c.batch_norm(64);
  const int64_t side = kSide / 4;
  c.linear(64 * side * side, 128);
  c.linear(128, classes);
  return c;
}

}  // namespace

ModelSummary model_summary_from_formulas(const std::string& name, int64_t num_classes) {
  COHORT_CHECK(num_classes > 0, "model_summary({}): num_classes must be positive, got {}", name, num_classes);
  const ModelSpec spec = parse_model_name(name);
  Counts c;
  switch (spec.family) {
    case ModelSpec::Family::cifar_resnet: c = cifar_resnet(spec.depth, num_classes); break;
    case ModelSpec::Family::wrn: c = wide_resnet(spec.depth, spec.widen, num_classes); break;
    case ModelSpec::Family::mobilenet: c = mobilenet(num_classes); break;
    case ModelSpec::Family::imagenet_resnet: c = imagenet_resnet(spec.depth, num_classes); break;
    case ModelSpec::Family::cnn_small: c = cnn_small(num_classes); break;
  }
  return {name, c.params, c.flops};
}

}  // namespace cohort::nn
