#include "layers/conv.h"

#include <cmath>

#include "core/init.h"
#include "core/ops/nn.h"
#include "layers/activation_layout.h"
#include "layers/flops.h"
#include "layers/layer_trace.h"

namespace cohort::nn {

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel_size, Generator& gen,
               const Conv2dOptions& options)
    : options_(options) {
  COHORT_CHECK(in_channels > 0 && out_channels > 0 && kernel_size > 0 && options.groups > 0 &&
                   options.stride > 0 && options.dilation > 0 && options.padding >= 0,
               "Conv2d: invalid configuration in={} out={} kernel={} stride={} padding={} "
               "dilation={} groups={}",
               in_channels, out_channels, kernel_size, options.stride, options.padding,
               options.dilation, options.groups);
  COHORT_CHECK(in_channels % options.groups == 0 && out_channels % options.groups == 0,
               "Conv2d: in_channels {} and out_channels {} must be divisible by groups {}",
               in_channels, out_channels, options.groups);
  Tensor w = Tensor::empty({out_channels, in_channels / options.groups, kernel_size, kernel_size});
  init::kaiming_uniform_(w, gen, std::sqrt(5.0));
  weight_ = register_parameter("weight", w);
  if (options.bias) {
    Tensor b = Tensor::empty({out_channels});
    const double bound = 1.0 / std::sqrt(init::fans(w).first);
    uniform_(b, gen, -bound, bound);
    bias_ = register_parameter("bias", b);
  }
}

Tensor Conv2d::forward(const Tensor& x) {
  LayerTrace::record(this, x);
  Conv2dParams p;
  p.stride_h = p.stride_w = options_.stride;
  p.pad_h = p.pad_w = options_.padding;
  p.dilation_h = p.dilation_w = options_.dilation;
  p.groups = options_.groups;
  p.channels_last = channels_last_active();
  Tensor y = ops::conv2d(x, weight_, bias_, p);
  // Multiply-adds: every output element sums (in/groups)·k·k products.
  FlopCounter::add_macs(y.numel() * weight_.size(1) * weight_.size(2) * weight_.size(3));
  return y;
}

}  // namespace cohort::nn
