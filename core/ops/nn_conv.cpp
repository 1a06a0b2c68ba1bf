// conv2d front-end: argument checks, output allocation, dispatch, and its backward.
#include "core/autograd.h"
#include "core/backend.h"
#include "core/kernel_views.h"
#include "core/ops/check.h"
#include "core/ops/nn.h"
#include "core/ops/reduce.h"
#include "kernels/cpu/nn_conv_paths.h"
#include "kernels/nn.h"

namespace cohort::ops {

namespace {

// The dims of x [N,C,H,W] (or [N,H,W,C] with channels_last) by meaning.
struct ActivationDims {
  int64_t n, c, h, w;
  ActivationDims(const Tensor& x, bool channels_last)
      : n(x.size(0)),
        c(x.size(channels_last ? 3 : 1)),
        h(x.size(channels_last ? 1 : 2)),
        w(x.size(channels_last ? 2 : 3)) {}
};

void check_conv_args(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dParams& p) {
  constexpr const char* op = "conv2d";
  check_defined(op, x, "input");
  check_defined(op, w, "weight");
  check_dim(op, x, 4, "input");
  check_dim(op, w, 4, "weight");
  check_floating(op, x);
  check_same_dtype(op, x, w);
  check_same_device(op, x, w);
  COHORT_CHECK(!p.channels_last || x.device().is_cpu(),
               "conv2d: channels_last (NHWC) input {} is supported on the CPU only, not on {}",
               shape_str(x.shape()), x.device().str());
  COHORT_CHECK(p.stride_h > 0 && p.stride_w > 0 && p.dilation_h > 0 && p.dilation_w > 0 &&
                   p.pad_h >= 0 && p.pad_w >= 0 && p.groups > 0,
               "conv2d: stride ({}, {}) and dilation ({}, {}) must be positive, padding ({}, {}) "
               "non-negative and groups ({}) positive",
               p.stride_h, p.stride_w, p.dilation_h, p.dilation_w, p.pad_h, p.pad_w, p.groups);
  const ActivationDims a(x, p.channels_last);
  const char* layout = p.channels_last ? " (channels last, NHWC)" : "";
  const int64_t C = a.c, K = w.size(0);
  COHORT_CHECK(C % p.groups == 0 && K % p.groups == 0,
               "conv2d: input channels ({}, input {}{}) and output channels ({}, weight {}) must "
               "both be divisible by groups = {}",
               C, shape_str(x.shape()), layout, K, shape_str(w.shape()), p.groups);
  COHORT_CHECK(w.size(1) == C / p.groups,
               "conv2d: weight {} expects {} input channels per group, but input {}{} with "
               "groups = {} has {}",
               shape_str(w.shape()), w.size(1), shape_str(x.shape()), layout, p.groups, C / p.groups);
  const int64_t eff_r = p.dilation_h * (w.size(2) - 1) + 1, eff_s = p.dilation_w * (w.size(3) - 1) + 1;
  COHORT_CHECK(eff_r <= a.h + 2 * p.pad_h && eff_s <= a.w + 2 * p.pad_w,
               "conv2d: kernel {}x{} (dilated {}x{}) is larger than the padded input {}x{} "
               "(input {}{}, padding ({}, {}))",
               w.size(2), w.size(3), eff_r, eff_s, a.h + 2 * p.pad_h, a.w + 2 * p.pad_w,
               shape_str(x.shape()), layout, p.pad_h, p.pad_w);
  if (bias.defined()) {
    check_same_dtype(op, x, bias);
    check_same_device(op, x, bias);
    COHORT_CHECK(bias.dim() == 1 && bias.size(0) == K,
                 "conv2d: bias shape {} does not match the {} output channels of weight {}",
                 shape_str(bias.shape()), K, shape_str(w.shape()));
  }
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dParams& p) {
  check_conv_args(x, weight, bias, p);
  const ActivationDims a(x, p.channels_last);
  const int64_t K = weight.size(0);
  const int64_t P = conv_out_size(a.h, weight.size(2), p.stride_h, p.pad_h, p.dilation_h);
  const int64_t Q = conv_out_size(a.w, weight.size(3), p.stride_w, p.pad_w, p.dilation_w);
  const Shape out_shape = p.channels_last ? Shape{a.n, P, Q, K} : Shape{a.n, K, P, Q};
  Tensor y = Tensor::empty(out_shape, x.dtype(), x.device());
  COHORT_DISPATCH(x.device(), conv2d_forward, view_of(x), view_of(weight), view_of(bias),
                  mutable_view_of(y), p);

  if (autograd::needs_grad({&x, &weight, &bias})) {
    const bool rx = x.requires_grad(), rw = weight.requires_grad();
    const bool rb = bias.defined() && bias.requires_grad();
    // Save only what each gradient needs: dx needs w, dw needs x, dbias needs neither.
    autograd::record(y, "conv2d", {x, weight, bias},
                     [x_saved = rw ? x.detach() : Tensor(), w_saved = rx ? weight.detach() : Tensor(),
                      x_shape = x.shape(), w_shape = weight.shape(), rx, rw, rb,
                      p](const Tensor& g) -> std::vector<Tensor> {
                       Tensor gx = rx ? Tensor::empty(x_shape, g.dtype(), g.device()) : Tensor();
                       Tensor gw = rw ? Tensor::empty(w_shape, g.dtype(), g.device()) : Tensor();
                       Tensor gb;
                       // One call for both: the CPU's oneDNN path then reorders g once.
                       if (rx || rw)
                         COHORT_DISPATCH(g.device(), conv2d_backward, view_of(g), view_of(x_saved),
                                         view_of(w_saved), mutable_view_of(gx), mutable_view_of(gw), p);
                       if (rb) gb = p.channels_last ? sum(g, {0, 1, 2}) : sum(g, {0, 2, 3});
                       return {gx, gw, gb};
                     });
  }
  return y;
}

bool cpu_conv_uses_onednn() { return cpu::cpu_conv_impl() == cpu::CpuConvImpl::onednn; }

}  // namespace cohort::ops
