// batch_norm2d front-end (PyTorch semantics): training with batch statistics and running-stat
// update, eval with running statistics; the backward of each form right below it. The same
// front-end with a fused ReLU (batch_norm2d_relu): the kernels apply the ReLU to the output and,
// in backward, its derivative (from the output) to the incoming gradient.
#include "core/autograd.h"
#include "core/backend.h"
#include "core/kernel_views.h"
#include "core/ops/check.h"
#include "core/ops/elementwise.h"
#include "core/ops/nn.h"
#include "core/ops/reduce.h"
#include "kernels/nn.h"

namespace cohort::ops {

namespace {

constexpr const char* kOp = "batch_norm2d";
constexpr const char* kFusedOp = "batch_norm2d_relu";

// The channel dim of x: 1 for NCHW, 3 for channels last (NHWC).
int64_t channel_dim(bool channels_last) { return channels_last ? 3 : 1; }

// A per-channel tensor (weight, bias, running stat), if given, must be [C] like x's channels.
void check_channel_vector(const Tensor& x, const Tensor& t, const char* arg, bool channels_last) {
  if (!t.defined()) return;
  check_same_dtype(kOp, x, t);
  check_same_device(kOp, x, t);
  const int64_t C = x.size(channel_dim(channels_last));
  COHORT_CHECK(t.dim() == 1 && t.size(0) == C, "batch_norm2d: {} has shape {} but input {}{} has {} channels",
               arg, shape_str(t.shape()), shape_str(x.shape()), channels_last ? " (channels last, NHWC)" : "", C);
}

// v [C] shaped to broadcast over x's channel dim.
Tensor per_channel(const Tensor& v, bool channels_last) {
  return channels_last ? v.reshape({1, 1, 1, v.size(0)}) : v.reshape({1, v.size(0), 1, 1});
}
std::vector<int64_t> non_channel_dims(bool channels_last) {
  return channels_last ? std::vector<int64_t>{0, 1, 2} : std::vector<int64_t>{0, 2, 3};
}

Tensor forward_train(const Tensor& x, const Tensor& weight, const Tensor& bias,
                     Tensor running_mean, Tensor running_var, double momentum, double eps,
                     bool relu, bool channels_last) {
  const int64_t C = x.size(channel_dim(channels_last));
  COHORT_CHECK(x.numel() / C > 1,
               "batch_norm2d: expected more than 1 value per channel when training, got input {}",
               shape_str(x.shape()));
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  Tensor save_mean = Tensor::empty({C}, x.dtype(), x.device());
  Tensor save_invstd = Tensor::empty({C}, x.dtype(), x.device());
  COHORT_DISPATCH(x.device(), batch_norm_forward_train, view_of(x), view_of(weight), view_of(bias),
                  mutable_view_of(running_mean), mutable_view_of(running_var), momentum, eps, relu,
                  channels_last, mutable_view_of(y), mutable_view_of(save_mean), mutable_view_of(save_invstd));
  if (!autograd::needs_grad({&x, &weight, &bias})) return y;

  const bool rx = x.requires_grad();
  const bool rw = weight.defined() && weight.requires_grad();
  const bool rb = bias.defined() && bias.requires_grad();
  autograd::record(
      y, relu ? kFusedOp : kOp, {x, weight, bias},
      [x = x.detach(), w = weight.defined() ? weight.detach() : Tensor(), save_mean, save_invstd,
       relu_y = relu ? y.detach() : Tensor(), rx, rw, rb, channels_last, C](const Tensor& g) -> std::vector<Tensor> {
        Tensor gx = Tensor::empty(x.shape(), x.dtype(), x.device());
        Tensor gw = rw ? Tensor::empty(w.shape(), x.dtype(), x.device()) : Tensor();
        Tensor gb = rb ? Tensor::empty({C}, x.dtype(), x.device()) : Tensor();
        COHORT_DISPATCH(x.device(), batch_norm_backward, view_of(g), view_of(x), view_of(w),
                        view_of(save_mean), view_of(save_invstd), view_of(relu_y), channels_last,
                        mutable_view_of(gx), mutable_view_of(gw), mutable_view_of(gb));
        return {rx ? gx : Tensor(), gw, gb};
      });
  return y;
}

// relu is only taken when nothing records a graph (the fused eval form has no backward).
Tensor forward_eval(const Tensor& x, const Tensor& weight, const Tensor& bias,
                    const Tensor& running_mean, const Tensor& running_var, double eps, bool relu,
                    bool channels_last) {
  COHORT_CHECK(running_mean.defined() && running_var.defined(),
               "batch_norm2d: running_mean and running_var must be defined in eval mode (input {})",
               shape_str(x.shape()));
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  COHORT_DISPATCH(x.device(), batch_norm_forward_eval, view_of(x), view_of(weight), view_of(bias),
                  view_of(running_mean), view_of(running_var), eps, relu, channels_last, mutable_view_of(y));
  if (!autograd::needs_grad({&x, &weight, &bias})) return y;

  // Eval is an affine map per channel: y = x̂·γ + β with x̂ = (x - μ)·s, s = 1/sqrt(σ² + eps).
  // Its backward is a few elementwise ops. The running stats are copied: a later training step
  // updates them in place, and this backward must use the values the forward used.
  const bool rx = x.requires_grad();
  const bool rw = weight.defined() && weight.requires_grad();
  const bool rb = bias.defined() && bias.requires_grad();
  Tensor invstd = rdiv(sqrt(add(running_var.detach(), eps)), 1.0);
  autograd::record(
      y, kOp, {x, weight, bias},
      [x = rw ? x.detach() : Tensor(), w = weight.defined() ? weight.detach() : Tensor(),
       mean = rw ? running_mean.detach().clone() : Tensor(), invstd, rx, rw, rb,
       cl = channels_last](const Tensor& g) -> std::vector<Tensor> {
        Tensor gx, gw, gb;
        if (rx) gx = mul(g, per_channel(w.defined() ? mul(w, invstd) : invstd, cl));
        if (rw) gw = sum(mul(g, mul(sub(x, per_channel(mean, cl)), per_channel(invstd, cl))), non_channel_dims(cl));
        if (rb) gb = sum(g, non_channel_dims(cl));
        return {gx, gw, gb};
      });
  return y;
}

// Checks shared by both front-ends.
void check_batch_norm_args(const char* op, const Tensor& x, const Tensor& weight, const Tensor& bias,
                           const Tensor& running_mean, const Tensor& running_var, double momentum,
                           double eps, bool channels_last) {
  check_defined(op, x, "input");
  check_dim(op, x, 4, "input");
  check_floating(op, x);
  COHORT_CHECK(!channels_last || x.device().is_cpu(),
               "{}: channels_last (NHWC) input {} is supported on the CPU only, not on {}", op,
               shape_str(x.shape()), x.device().str());
  check_channel_vector(x, weight, "weight", channels_last);
  check_channel_vector(x, bias, "bias", channels_last);
  check_channel_vector(x, running_mean, "running_mean", channels_last);
  check_channel_vector(x, running_var, "running_var", channels_last);
  COHORT_CHECK(running_mean.defined() == running_var.defined(),
               "{}: running_mean and running_var must both be given or both be undefined", op);
  COHORT_CHECK(eps > 0 && momentum >= 0 && momentum <= 1,
               "{}: eps ({}) must be positive and momentum ({}) in [0, 1]", op, eps, momentum);
}

}  // namespace

Tensor batch_norm2d(const Tensor& x, const Tensor& weight, const Tensor& bias,
                    Tensor running_mean, Tensor running_var, bool training, double momentum,
                    double eps, bool channels_last) {
  check_batch_norm_args(kOp, x, weight, bias, running_mean, running_var, momentum, eps, channels_last);
  if (training)
    return forward_train(x, weight, bias, running_mean, running_var, momentum, eps, false, channels_last);
  return forward_eval(x, weight, bias, running_mean, running_var, eps, false, channels_last);
}

Tensor batch_norm2d_relu(const Tensor& x, const Tensor& weight, const Tensor& bias,
                         Tensor running_mean, Tensor running_var, bool training, double momentum,
                         double eps, bool channels_last) {
  check_batch_norm_args(kFusedOp, x, weight, bias, running_mean, running_var, momentum, eps, channels_last);
  if (training)
    return forward_train(x, weight, bias, running_mean, running_var, momentum, eps, true, channels_last);
  if (autograd::needs_grad({&x, &weight, &bias}))
    return relu(forward_eval(x, weight, bias, running_mean, running_var, eps, false, channels_last));
  return forward_eval(x, weight, bias, running_mean, running_var, eps, true, channels_last);
}

}  // namespace cohort::ops
