#include "layers/layer_trace.h"

namespace cohort::nn {

namespace {
thread_local LayerTrace* active = nullptr;
}  // namespace

LayerTrace::LayerTrace() : previous_(active) { active = this; }
LayerTrace::~LayerTrace() { active = previous_; }

void LayerTrace::record(Layer* layer, const Tensor& input) {
  if (active != nullptr) active->calls_.push_back({layer, input.detach()});
}

}  // namespace cohort::nn
