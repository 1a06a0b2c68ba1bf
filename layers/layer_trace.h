// Records the leaf layers a forward pass calls, with their inputs, while a LayerTrace is alive on
// the calling thread — what the per-layer timing tool (benchmarks/bench_layer_times.cpp, like
// `caffe time`) needs to re-run each layer on its own. The leaf layers (Conv2d, BatchNorm2d,
// Linear, pools, Dropout, Flatten) call LayerTrace::record at the top of forward(); with no
// trace active that is one thread-local pointer test.
#pragma once

#include <vector>

#include "core/tensor.h"

namespace cohort::nn {

class Layer;

struct TracedCall {
  Layer* layer = nullptr;
  // Detached; shares storage with the traced forward's input, except in a channels-last forward
  // (layers/activation_layout.h), where 4-D inputs are recorded as NCHW copies.
  Tensor input;
};

class LayerTrace {
 public:
  LayerTrace();
  ~LayerTrace();
  LayerTrace(const LayerTrace&) = delete;
  LayerTrace& operator=(const LayerTrace&) = delete;

  const std::vector<TracedCall>& calls() const { return calls_; }
  static void record(Layer* layer, const Tensor& input);

 private:
  std::vector<TracedCall> calls_;
  LayerTrace* previous_ = nullptr;
};

}  // namespace cohort::nn
