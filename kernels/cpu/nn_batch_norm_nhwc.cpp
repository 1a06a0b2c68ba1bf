// CPU batch norm on channels-last activations: x [N,H,W,C] read as M = N·H·W rows of C values.
//
// The formulas are nn_batch_norm.cpp's (its header); only the traversal differs. A channel's
// values are C apart here, so instead of one channel per thread the rows are split between the
// threads: each accumulates per-channel sums over its rows (in f64, a row at a time, vectorised
// across the channels), and the partial sums are added in thread order — deterministic for a
// given thread count. Statistics are two-pass (mean, then Σ(x-mean)²) as in the NCHW kernel.
// Bytes per call: train reads x twice and writes y (the third read of the NCHW kernel is not
// needed: the normalisation pass follows the statistics); backward reads x, dy (and y with the
// fused ReLU) twice and writes dx.
#include <omp.h>

#include <cmath>
#include <vector>

#include "kernels/common/elementwise_math.h"
#include "kernels/cpu/nn_batch_norm_nhwc.h"

namespace cohort::cpu::batch_norm_nhwc {

namespace {

struct Rows {
  int64_t M, C;
  explicit Rows(ConstView x) : M(x.numel() / x.size(-1)), C(x.size(-1)) {}
};

template <typename T>
const T* data_or_null(ConstView t) {
  return t.defined() ? t.data<T>() : nullptr;
}

// Σ over rows r of add_row(r, acc), where add_row adds row r's contributions to `width` per-channel
// accumulators acc[0 .. width·C). Returns the totals, width·C values.
template <typename AddRow>
std::vector<double> sum_rows(const Rows& g, int64_t width, AddRow&& add_row) {
  const int threads = omp_get_max_threads();
  const size_t n = static_cast<size_t>(width * g.C);
  std::vector<double> partial(static_cast<size_t>(threads) * n, 0.0);
#pragma omp parallel num_threads(threads)
  {
    double* acc = partial.data() + static_cast<size_t>(omp_get_thread_num()) * n;
#pragma omp for schedule(static)
    for (int64_t r = 0; r < g.M; ++r) add_row(r, acc);
  }
  std::vector<double> total(n, 0.0);
  for (int t = 0; t < threads; ++t)
    for (size_t i = 0; i < n; ++i) total[i] += partial[static_cast<size_t>(t) * n + i];
  return total;
}

// y[r, c] = x[r, c]·scale[c] + shift[c] (then the ReLU) for every row.
template <typename T>
void scale_shift(const T* x, T* y, const Rows& g, const std::vector<T>& scale, const std::vector<T>& shift,
                 bool relu) {
  const T* sc = scale.data();
  const T* sh = shift.data();
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < g.M; ++r) {
    const T* xr = x + r * g.C;
    T* yr = y + r * g.C;
    if (relu) {
      for (int64_t c = 0; c < g.C; ++c) yr[c] = math::unary_forward(UnaryOp::relu, xr[c] * sc[c] + sh[c], T(0));
    } else {
      for (int64_t c = 0; c < g.C; ++c) yr[c] = xr[c] * sc[c] + sh[c];
    }
  }
}

template <typename T>
void train_impl(const T* x, const T* weight, const T* bias, T* running_mean, T* running_var,
                   double momentum, double eps, bool relu, T* y, T* save_mean, T* save_invstd,
                   const Rows& g) {
  const double M = static_cast<double>(g.M);
  const int64_t C = g.C;
  const std::vector<double> sums = sum_rows(g, 1, [&](int64_t r, double* acc) {
    const T* xr = x + r * C;
    for (int64_t c = 0; c < C; ++c) acc[c] += static_cast<double>(xr[c]);
  });
  std::vector<T> mean(static_cast<size_t>(C));
  for (int64_t c = 0; c < C; ++c) mean[c] = static_cast<T>(sums[c] / M);
  const std::vector<double> squares = sum_rows(g, 1, [&](int64_t r, double* acc) {
    const T* xr = x + r * C;
    for (int64_t c = 0; c < C; ++c) {
      const double d = static_cast<double>(xr[c] - mean[c]);
      acc[c] += d * d;
    }
  });
  std::vector<T> scale(static_cast<size_t>(C)), shift(static_cast<size_t>(C));
  for (int64_t c = 0; c < C; ++c) {
    const double mu = sums[c] / M, sq = squares[c];
    const double var = sq / M;
    const double invstd = 1.0 / std::sqrt(var + eps);
    save_mean[c] = static_cast<T>(mu);
    save_invstd[c] = static_cast<T>(invstd);
    const double gamma = weight ? static_cast<double>(weight[c]) : 1.0;
    const double beta = bias ? static_cast<double>(bias[c]) : 0.0;
    scale[c] = static_cast<T>(gamma * invstd);
    shift[c] = static_cast<T>(beta - mu * gamma * invstd);
    if (running_mean) running_mean[c] = static_cast<T>((1.0 - momentum) * running_mean[c] + momentum * mu);
    if (running_var) {
      const double unbiased = M > 1 ? sq / (M - 1) : var;
      running_var[c] = static_cast<T>((1.0 - momentum) * running_var[c] + momentum * unbiased);
    }
  }
  scale_shift(x, y, g, scale, shift, relu);
}

template <typename T>
void eval_impl(const T* x, const T* weight, const T* bias, const T* running_mean,
                  const T* running_var, double eps, bool relu, T* y, const Rows& g) {
  std::vector<T> scale(static_cast<size_t>(g.C)), shift(static_cast<size_t>(g.C));
  for (int64_t c = 0; c < g.C; ++c) {
    const double invstd = 1.0 / std::sqrt(static_cast<double>(running_var[c]) + eps);
    const double gamma = weight ? static_cast<double>(weight[c]) : 1.0;
    const double beta = bias ? static_cast<double>(bias[c]) : 0.0;
    scale[c] = static_cast<T>(gamma * invstd);
    shift[c] = static_cast<T>(beta - static_cast<double>(running_mean[c]) * gamma * invstd);
  }
  scale_shift(x, y, g, scale, shift, relu);
}

// relu_y: the fused forward's output, or null; the incoming gradient is then masked on the fly
// (math::unary_derivative, as the separate ReLU's backward) in both passes.
template <typename T>
void backward_impl(const T* dy, const T* x, const T* relu_y, const T* weight, const T* save_mean,
              const T* save_invstd, T* dx, T* dweight, T* dbias, const Rows& g) {
  const double M = static_cast<double>(g.M);
  const int64_t C = g.C;
  auto grad = [&](int64_t i) {
    return relu_y ? dy[i] * math::unary_derivative(UnaryOp::relu, T(0), relu_y[i], T(0)) : dy[i];
  };
  // acc[0, C): Σdy; acc[C, 2C): Σdy·(x - mean).
  const std::vector<double> sums = sum_rows(g, 2, [&](int64_t r, double* acc) {
    for (int64_t c = 0; c < C; ++c) {
      const T d = grad(r * C + c);
      acc[c] += static_cast<double>(d);
      acc[C + c] += static_cast<double>(d * (x[r * C + c] - save_mean[c]));
    }
  });
  // dx = a·dy + b·(x - mean) + d per channel, as in the NCHW kernel.
  std::vector<T> a(static_cast<size_t>(C)), b(static_cast<size_t>(C)), d(static_cast<size_t>(C));
  for (int64_t c = 0; c < C; ++c) {
    const double invstd = static_cast<double>(save_invstd[c]);
    const double sum_dy = sums[c], sum_dy_xc = sums[C + c];
    if (dweight) dweight[c] = static_cast<T>(sum_dy_xc * invstd);
    if (dbias) dbias[c] = static_cast<T>(sum_dy);
    const double k = (weight ? static_cast<double>(weight[c]) : 1.0) * invstd;
    a[c] = static_cast<T>(k);
    b[c] = static_cast<T>(-k * invstd * invstd * sum_dy_xc / M);
    d[c] = static_cast<T>(-k * sum_dy / M);
  }
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < g.M; ++r)
    for (int64_t c = 0; c < C; ++c) {
      const int64_t i = r * C + c;
      dx[i] = grad(i) * a[c] + (x[i] - save_mean[c]) * b[c] + d[c];
    }
}

}  // namespace

void forward_train(ConstView x, ConstView weight, ConstView bias, View running_mean, View running_var,
                   double momentum, double eps, bool fuse_relu, View y, View save_mean, View save_invstd) {
  const Rows g(x);
  COHORT_DISPATCH_FLOATING(x.dtype(), "batch_norm2d", [&] {
    train_impl(
        x.data<scalar_t>(), data_or_null<scalar_t>(weight), data_or_null<scalar_t>(bias),
        running_mean.defined() ? running_mean.data<scalar_t>() : nullptr,
        running_var.defined() ? running_var.data<scalar_t>() : nullptr, momentum, eps, fuse_relu,
        y.data<scalar_t>(), save_mean.data<scalar_t>(), save_invstd.data<scalar_t>(), g);
  });
}

void forward_eval(ConstView x, ConstView weight, ConstView bias, ConstView running_mean,
                  ConstView running_var, double eps, bool fuse_relu, View y) {
  const Rows g(x);
  COHORT_DISPATCH_FLOATING(x.dtype(), "batch_norm2d", [&] {
    eval_impl(x.data<scalar_t>(), data_or_null<scalar_t>(weight),
                                  data_or_null<scalar_t>(bias), running_mean.data<scalar_t>(),
                                  running_var.data<scalar_t>(), eps, fuse_relu, y.data<scalar_t>(), g);
  });
}

void backward(ConstView grad_y, ConstView x, ConstView weight, ConstView save_mean, ConstView save_invstd,
              ConstView relu_y, View grad_x, View grad_weight, View grad_bias) {
  const Rows g(x);
  COHORT_DISPATCH_FLOATING(x.dtype(), "batch_norm2d_backward", [&] {
    backward_impl(grad_y.data<scalar_t>(), x.data<scalar_t>(), data_or_null<scalar_t>(relu_y),
                              data_or_null<scalar_t>(weight), save_mean.data<scalar_t>(),
                              save_invstd.data<scalar_t>(), grad_x.data<scalar_t>(),
                              grad_weight.defined() ? grad_weight.data<scalar_t>() : nullptr,
                              grad_bias.defined() ? grad_bias.data<scalar_t>() : nullptr, g);
  });
}

}  // namespace cohort::cpu::batch_norm_nhwc
