#include "layers/layer_trace.h"

#include "core/autograd.h"
#include "core/ops/shape.h"
#include "layers/activation_layout.h"

namespace cohort::nn {

namespace {
thread_local LayerTrace* active = nullptr;
}  // namespace

LayerTrace::LayerTrace() : previous_(active) { active = this; }
LayerTrace::~LayerTrace() { active = previous_; }

// Inside a channels-last forward the 4-D inputs are NHWC; the trace keeps NCHW copies, so that
// re-running a layer on its own (outside any layout scope) sees the layout it expects.
void LayerTrace::record(Layer* layer, const Tensor& input) {
  if (active == nullptr) return;
  if (channels_last_active() && input.dim() == 4) {
    NoGradGuard no_grad;
    active->calls_.push_back({layer, ops::to_channels_first(input.detach())});
  } else {
    active->calls_.push_back({layer, input.detach()});
  }
}

}  // namespace cohort::nn
