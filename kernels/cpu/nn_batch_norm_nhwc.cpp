// CPU batch norm on channels-last activations: x [N,H,W,C] read as M = N·H·W rows of C values.
//
// The formulas are nn_batch_norm.cpp's (its header); only the traversal differs. A channel's
// values are C apart here, so instead of one channel per thread the rows are split between the
// threads: each accumulates per-channel sums over its rows (vectorised across the channels, in
// the element type over chunks of 32 rows, in f64 across chunks), and the partial sums are added
// in thread order — deterministic for a given thread count. Statistics are two-pass (mean, then
// Σ(x-mean)²) as in the NCHW kernel.
// Bytes per call: train reads x three times (sum, squares, normalisation) and writes y; backward
// reads x, dy (and y with the fused ReLU) twice and writes dx. Unlike the NCHW kernel, whose
// per-channel planes stay in L2 between its passes, each pass here streams the whole tensor.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/common/elementwise_math.h"
#include "kernels/cpu/nn_batch_norm_channel.h"
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
// accumulators acc[0 .. width·C) of type T. Rows are summed in T over chunks of kChunk rows (short
// vectorised loops over the channels), and the chunks' sums in f64 per thread; the threads'
// totals are added in thread order. Returns width·C totals.
template <typename T, typename AddRow>
std::vector<double> sum_rows(const Rows& g, int64_t width, AddRow&& add_row) {
  constexpr int64_t kChunk = 32;
  const int threads = omp_get_max_threads();
  const size_t n = static_cast<size_t>(width * g.C);
  std::vector<double> partial(static_cast<size_t>(threads) * n, 0.0);
#pragma omp parallel num_threads(threads)
  {
    double* acc = partial.data() + static_cast<size_t>(omp_get_thread_num()) * n;
    std::vector<T> chunk(n);
#pragma omp for schedule(static)
    for (int64_t r0 = 0; r0 < g.M; r0 += kChunk) {
      std::fill(chunk.begin(), chunk.end(), T(0));
      const int64_t r1 = std::min(r0 + kChunk, g.M);
      for (int64_t r = r0; r < r1; ++r) add_row(r, chunk.data());
      for (size_t i = 0; i < n; ++i) acc[i] += static_cast<double>(chunk[i]);
    }
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
  const std::vector<double> sums = sum_rows<T>(g, 1, [&](int64_t r, T* acc) {
    const T* xr = x + r * C;
    for (int64_t c = 0; c < C; ++c) acc[c] += xr[c];
  });
  std::vector<T> mean(static_cast<size_t>(C));
  for (int64_t c = 0; c < C; ++c) mean[c] = static_cast<T>(sums[c] / M);
  const T* mu = mean.data();
  const std::vector<double> squares = sum_rows<T>(g, 1, [&](int64_t r, T* acc) {
    const T* xr = x + r * C;
    for (int64_t c = 0; c < C; ++c) acc[c] += (xr[c] - mu[c]) * (xr[c] - mu[c]);
  });
  std::vector<T> scale(static_cast<size_t>(C)), shift(static_cast<size_t>(C));
  for (int64_t c = 0; c < C; ++c) {
    const auto map = batch_norm_channel::train(weight, bias, running_mean, running_var, momentum, eps, save_mean,
                                               save_invstd, c, sums[c] / M, squares[c], M);
    scale[c] = static_cast<T>(map.scale);
    shift[c] = static_cast<T>(map.shift);
  }
  scale_shift(x, y, g, scale, shift, relu);
}

template <typename T>
void eval_impl(const T* x, const T* weight, const T* bias, const T* running_mean,
                  const T* running_var, double eps, bool relu, T* y, const Rows& g) {
  std::vector<T> scale(static_cast<size_t>(g.C)), shift(static_cast<size_t>(g.C));
  for (int64_t c = 0; c < g.C; ++c) {
    const auto map = batch_norm_channel::eval(weight, bias, running_mean, running_var, eps, c);
    scale[c] = static_cast<T>(map.scale);
    shift[c] = static_cast<T>(map.shift);
  }
  scale_shift(x, y, g, scale, shift, relu);
}

// The incoming gradient of element i: dy, masked as the separate ReLU's backward would
// (math::unary_derivative) when the forward fused the ReLU.
template <bool kRelu, typename T>
T output_grad(const T* dy, const T* relu_y, int64_t i) {
  if constexpr (kRelu) return dy[i] * math::unary_derivative(UnaryOp::relu, T(0), relu_y[i], T(0));
  return dy[i];
}

// relu_y: the fused forward's output (kRelu), else unused; the mask is applied on the fly in
// both passes.
template <bool kRelu, typename T>
void backward_impl(const T* dy, const T* x, const T* relu_y, const T* weight, const T* save_mean,
                   const T* save_invstd, T* dx, T* dweight, T* dbias, const Rows& g) {
  const double M = static_cast<double>(g.M);
  const int64_t C = g.C;
  // acc[0, C): Σdy; acc[C, 2C): Σdy·(x - mean).
  const std::vector<double> sums = sum_rows<T>(g, 2, [&](int64_t r, T* acc) {
    const T* xr = x + r * C;
    for (int64_t c = 0; c < C; ++c) {
      const T d = output_grad<kRelu>(dy, relu_y, r * C + c);
      acc[c] += d;
      acc[C + c] += d * (xr[c] - save_mean[c]);
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
  const T *pa = a.data(), *pb = b.data(), *pd = d.data();
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < g.M; ++r) {
    const T* xr = x + r * C;
    T* dxr = dx + r * C;
    for (int64_t c = 0; c < C; ++c)
      dxr[c] = output_grad<kRelu>(dy, relu_y, r * C + c) * pa[c] + (xr[c] - save_mean[c]) * pb[c] + pd[c];
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
    const auto run = relu_y.defined() ? backward_impl<true, scalar_t> : backward_impl<false, scalar_t>;
    run(grad_y.data<scalar_t>(), x.data<scalar_t>(), data_or_null<scalar_t>(relu_y),
        data_or_null<scalar_t>(weight), save_mean.data<scalar_t>(), save_invstd.data<scalar_t>(),
        grad_x.data<scalar_t>(), grad_weight.defined() ? grad_weight.data<scalar_t>() : nullptr,
        grad_bias.defined() ? grad_bias.data<scalar_t>() : nullptr, g);
  });
}

}  // namespace cohort::cpu::batch_norm_nhwc
