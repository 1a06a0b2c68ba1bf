#include "layers/batch_norm.h"

#include "core/autograd.h"
#include "core/ops/elementwise.h"
#include "core/ops/nn.h"
#include "layers/activation_layout.h"
#include "layers/layer_trace.h"

namespace cohort::nn {

namespace {

// num_batches_tracked += 1 without a host sync: on the CPU directly, elsewhere through a
// floating round trip on the tensor's device (the elementwise ops are floating-only).
void increment_counter(Tensor& counter) {
  if (counter.device().is_cpu()) {
    ++counter.data<int64_t>()[0];
    return;
  }
  NoGradGuard no_grad;
  counter.copy_(ops::add(counter.to(DType::f64), 1.0).to(DType::i64));
}

}  // namespace

BatchNorm2d::BatchNorm2d(int64_t num_features, const BatchNorm2dOptions& options)
    : options_(options) {
  COHORT_CHECK(num_features > 0, "BatchNorm2d: num_features must be positive, got {}",
               num_features);
  if (options.affine) {
    weight_ = register_parameter("weight", Tensor::ones({num_features}));
    bias_ = register_parameter("bias", Tensor::zeros({num_features}));
  }
  running_mean_ = register_buffer("running_mean", Tensor::zeros({num_features}));
  running_var_ = register_buffer("running_var", Tensor::ones({num_features}));
  num_batches_tracked_ = register_buffer("num_batches_tracked", Tensor::zeros({}, DType::i64));
}

Tensor BatchNorm2d::forward(const Tensor& x) { return apply(x, false); }

Tensor BatchNorm2d::forward_relu(const Tensor& x) { return apply(x, true); }

Tensor BatchNorm2d::apply(const Tensor& x, bool relu) {
  LayerTrace::record(this, x);
  if (is_training()) increment_counter(num_batches_tracked_);
  const auto op = relu ? ops::batch_norm2d_relu : ops::batch_norm2d;
  return op(x, weight_, bias_, running_mean_, running_var_, is_training(), options_.momentum,
            options_.eps, channels_last_active());
}

}  // namespace cohort::nn
