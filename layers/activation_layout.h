// The layout of the activations a model's layers pass each other: NCHW, or channels last (NHWC).
//
// Why: oneDNN's convolution kernels read NHWC (or their own blocked layout) directly, so with
// NCHW activations every convolution converts its input, its output and both gradients on every
// call — 15 % of a ResNet-32 training step on the CPU (docs/benchmarks.md). A model whose forward
// runs channels last converts the images once on the way in and its taps (features) on the way
// out, and nothing in between.
//
// How: a model decides per forward (channels_last_for) and opens a ChannelsLastScope for it;
// Conv2d and BatchNorm2d read channels_last_active() and pass the layout to their ops, and the
// model's own code (shortcuts, pooling) branches on it. A layer used outside such a scope is
// NCHW, as ever. Model inputs, outputs and features stay NCHW either way.
#pragma once

#include "core/tensor.h"

namespace cohort::nn {

// Whether the forward running on this thread passes NHWC activations between its layers.
bool channels_last_active();

// Sets channels_last_active() to `on` until destroyed (then restores the previous value).
class ChannelsLastScope {
 public:
  explicit ChannelsLastScope(bool on);
  ~ChannelsLastScope();
  ChannelsLastScope(const ChannelsLastScope&) = delete;
  ChannelsLastScope& operator=(const ChannelsLastScope&) = delete;

 private:
  bool previous_;
};

// Whether a model should run its forward on images x channels last: on the CPU, in f32, with
// oneDNN doing the convolutions (COHORT_CPU_CONV), and cpu_layout() nhwc. The reference
// convolutions and the GPU stay NCHW.
bool channels_last_for(const Tensor& x);

// A forward under a scope, in the scope's layout: the NCHW images converted into it, an
// activation converted back to NCHW (a feature tap), and the global average pool [N, C].
Tensor to_active_layout(const Tensor& nchw);
Tensor to_nchw(const Tensor& activation);
Tensor global_avg_pool(const Tensor& activation);

enum class CpuLayout { nhwc, nchw };
// "nhwc" or "nchw"; unset or empty is "nhwc". Anything else throws ValueError naming
// COHORT_CPU_LAYOUT and the accepted values.
CpuLayout parse_cpu_layout(const char* value);
// The process-wide setting: COHORT_CPU_LAYOUT, read on first use, unless set_cpu_layout chose
// (tests and benchmarks comparing the two layouts in one process).
CpuLayout cpu_layout();
void set_cpu_layout(CpuLayout layout);

}  // namespace cohort::nn
