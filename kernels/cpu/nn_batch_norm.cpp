// CPU batch norm over (N, H, W) per channel (PyTorch's BatchNorm2d semantics).
//
// x [N,C,H,W] is visited as N contiguous planes of H·W elements per channel. Statistics are
// two-pass (mean, then Σ(x-mean)²) with per-plane sums in the element type (Eigen vectorises
// them) accumulated across planes in f64, so f32 keeps ~7 digits for M = N·H·W of 10⁵–10⁶.
//
//   train:    mean, var_b = Σ(x-mean)²/M, invstd = 1/sqrt(var_b + eps), y = (x-mean)·invstd·γ + β
//             running_mean ← (1-m)·running_mean + m·mean
//             running_var  ← (1-m)·running_var  + m·var_b·M/(M-1)     (unbiased, as PyTorch)
//   eval:     y = (x - running_mean)/sqrt(running_var + eps)·γ + β
//   backward: x̂ = (x-mean)·invstd, dβ = Σdy, dγ = Σdy·x̂,
//             dx = γ·invstd·(dy - dβ/M - x̂·dγ/M)
//   fused ReLU: y = relu(·) in the same pass; its backward first masks dy with y > 0 (into dx).
// Bytes per call: train reads x twice and writes y; backward reads x and dy twice, writes dx
// (and reads y twice more with the fused ReLU, instead of a separate ReLU backward pass).
// Threads: OpenMP over channels (each channel's work is independent).
// Channels-last (NHWC) activations go to nn_batch_norm_nhwc.cpp, which walks them by rows.
#include <Eigen/Core>
#include <cmath>

#include "kernels/common/elementwise_math.h"
#include "kernels/cpu/nn_batch_norm_channel.h"
#include "kernels/cpu/nn_batch_norm_nhwc.h"
#include "kernels/nn.h"

namespace cohort::cpu {

namespace {

template <typename T>
using ConstPlane = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;
template <typename T>
using Plane = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;

struct BnGeom {
  int64_t N, C, HW;
  explicit BnGeom(ConstView x) : N(x.size(0)), C(x.size(1)), HW(x.numel() / (x.size(0) * x.size(1))) {}
  int64_t plane(int64_t n, int64_t c) const { return (n * C + c) * HW; }  // offset of x[n, c]
  int64_t count() const { return N * HW; }
};

template <typename T>
const T* data_or_null(ConstView t) {
  return t.defined() ? t.data<T>() : nullptr;
}

// y[:, c] = x[:, c]·scale + shift for every n, then the ReLU when relu (math::unary_forward's,
// so NaN stays NaN as in the separate op).
template <typename T>
void scale_shift_channel(const T* x, T* y, const BnGeom& g, int64_t c, T scale, T shift, bool relu) {
  for (int64_t n = 0; n < g.N; ++n) {
    const int64_t off = g.plane(n, c);
    if (relu) {
      for (int64_t i = off; i < off + g.HW; ++i)
        y[i] = math::unary_forward(UnaryOp::relu, x[i] * scale + shift, T(0));
    } else {
      Plane<T>(y + off, g.HW) = ConstPlane<T>(x + off, g.HW) * scale + shift;
    }
  }
}

template <typename T>
void forward_train(const T* x, const T* weight, const T* bias, T* running_mean, T* running_var,
                   double momentum, double eps, bool relu, T* y, T* save_mean, T* save_invstd,
                   const BnGeom& g) {
  const double M = static_cast<double>(g.count());
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < g.C; ++c) {
    double sum = 0.0;
    for (int64_t n = 0; n < g.N; ++n) sum += static_cast<double>(ConstPlane<T>(x + g.plane(n, c), g.HW).sum());
    const double mean = sum / M;
    double sq = 0.0;
    for (int64_t n = 0; n < g.N; ++n)
      sq += static_cast<double>((ConstPlane<T>(x + g.plane(n, c), g.HW) - static_cast<T>(mean)).square().sum());
    const auto map = batch_norm_channel::train(weight, bias, running_mean, running_var, momentum, eps, save_mean,
                                               save_invstd, c, mean, sq, M);
    scale_shift_channel(x, y, g, c, static_cast<T>(map.scale), static_cast<T>(map.shift), relu);
  }
}

template <typename T>
void forward_eval(const T* x, const T* weight, const T* bias, const T* running_mean,
                  const T* running_var, double eps, bool relu, T* y, const BnGeom& g) {
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < g.C; ++c) {
    const auto map = batch_norm_channel::eval(weight, bias, running_mean, running_var, eps, c);
    scale_shift_channel(x, y, g, c, static_cast<T>(map.scale), static_cast<T>(map.shift), relu);
  }
}

// relu_y: the output of a forward with a fused ReLU, or null. With it the incoming gradient is
// first masked as the ReLU's backward would (math::unary_derivative, so the values are the
// separate op's), written into dx, which the second pass then reads in place of dy.
template <typename T>
void backward(const T* dy, const T* x, const T* relu_y, const T* weight, const T* save_mean,
              const T* save_invstd, T* dx, T* dweight, T* dbias, const BnGeom& g) {
  const double M = static_cast<double>(g.count());
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < g.C; ++c) {
    const T mean = save_mean[c];
    const double invstd = static_cast<double>(save_invstd[c]);
    const T* grad = dy;  // the gradient of this channel's output: dy, or the masked copy in dx
    if (relu_y) {
      for (int64_t n = 0; n < g.N; ++n) {
        const int64_t off = g.plane(n, c);
        for (int64_t i = off; i < off + g.HW; ++i)
          dx[i] = dy[i] * math::unary_derivative(UnaryOp::relu, T(0), relu_y[i], T(0));
      }
      grad = dx;
    }
    double sum_dy = 0.0, sum_dy_xc = 0.0;  // Σdy and Σdy·(x - mean)
    for (int64_t n = 0; n < g.N; ++n) {
      const int64_t off = g.plane(n, c);
      ConstPlane<T> d(grad + off, g.HW), xs(x + off, g.HW);
      sum_dy += static_cast<double>(d.sum());
      sum_dy_xc += static_cast<double>((d * (xs - mean)).sum());
    }
    const double sum_dy_xhat = sum_dy_xc * invstd;
    if (dweight) dweight[c] = static_cast<T>(sum_dy_xhat);
    if (dbias) dbias[c] = static_cast<T>(sum_dy);
    // dx = k·(dy - Σdy/M - x̂·Σdy·x̂/M) with k = γ·invstd, written as a·dy + b·(x - mean) + d.
    const double gamma = weight ? static_cast<double>(weight[c]) : 1.0;
    const double k = gamma * invstd;
    const T a = static_cast<T>(k);
    const T b = static_cast<T>(-k * invstd * invstd * sum_dy_xc / M);
    const T d = static_cast<T>(-k * sum_dy / M);
    for (int64_t n = 0; n < g.N; ++n) {
      const int64_t off = g.plane(n, c);
      Plane<T>(dx + off, g.HW) =
          ConstPlane<T>(grad + off, g.HW) * a + (ConstPlane<T>(x + off, g.HW) - mean) * b + d;
    }
  }
}

}  // namespace

void batch_norm_forward_train(ConstView x, ConstView weight, ConstView bias,
                              View running_mean, View running_var, double momentum,
                              double eps, bool fuse_relu, bool channels_last, View y,
                              View save_mean, View save_invstd) {
  if (channels_last)
    return batch_norm_nhwc::forward_train(x, weight, bias, running_mean, running_var, momentum, eps,
                                          fuse_relu, y, save_mean, save_invstd);
  const BnGeom g(x);
  COHORT_DISPATCH_FLOATING(x.dtype(), "batch_norm2d", [&] {
    forward_train(x.data<scalar_t>(), data_or_null<scalar_t>(weight), data_or_null<scalar_t>(bias),
                  running_mean.defined() ? running_mean.data<scalar_t>() : nullptr,
                  running_var.defined() ? running_var.data<scalar_t>() : nullptr, momentum, eps,
                  fuse_relu, y.data<scalar_t>(), save_mean.data<scalar_t>(), save_invstd.data<scalar_t>(), g);
  });
}

void batch_norm_forward_eval(ConstView x, ConstView weight, ConstView bias,
                             ConstView running_mean, ConstView running_var, double eps,
                             bool fuse_relu, bool channels_last, View y) {
  if (channels_last)
    return batch_norm_nhwc::forward_eval(x, weight, bias, running_mean, running_var, eps, fuse_relu, y);
  const BnGeom g(x);
  COHORT_DISPATCH_FLOATING(x.dtype(), "batch_norm2d", [&] {
    forward_eval(x.data<scalar_t>(), data_or_null<scalar_t>(weight), data_or_null<scalar_t>(bias),
                 running_mean.data<scalar_t>(), running_var.data<scalar_t>(), eps, fuse_relu,
                 y.data<scalar_t>(), g);
  });
}

void batch_norm_backward(ConstView grad_y, ConstView x, ConstView weight,
                         ConstView save_mean, ConstView save_invstd, ConstView relu_y,
                         bool channels_last, View grad_x, View grad_weight, View grad_bias) {
  if (channels_last)
    return batch_norm_nhwc::backward(grad_y, x, weight, save_mean, save_invstd, relu_y, grad_x,
                                     grad_weight, grad_bias);
  const BnGeom g(x);
  COHORT_DISPATCH_FLOATING(x.dtype(), "batch_norm2d_backward", [&] {
    backward(grad_y.data<scalar_t>(), x.data<scalar_t>(), data_or_null<scalar_t>(relu_y),
             data_or_null<scalar_t>(weight), save_mean.data<scalar_t>(), save_invstd.data<scalar_t>(),
             grad_x.data<scalar_t>(), grad_weight.defined() ? grad_weight.data<scalar_t>() : nullptr,
             grad_bias.defined() ? grad_bias.data<scalar_t>() : nullptr, g);
  });
}

}  // namespace cohort::cpu
