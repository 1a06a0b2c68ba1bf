// CPU softmax / log-softmax over the last dim: x viewed as [rows, C].
//
// Numerically stable: with m = max_j x_j, softmax_i = exp(x_i - m) / Σ_j exp(x_j - m) and
// log_softmax_i = x_i - m - log Σ_j exp(x_j - m); the exponent is never positive, so nothing
// overflows. Row sums accumulate in f64.
// Backward from the output y:
//   softmax:     dx = y · (dy - Σ_j dy_j·y_j)
//   log_softmax: dx = dy - exp(y) · Σ_j dy_j
// Threads: OpenMP over rows. Bytes: read x twice, write y once (per row, cache-resident).
#include <algorithm>
#include <cmath>

#include "kernels/nn.h"

namespace cohort::cpu {

namespace {

template <typename T>
void forward(const T* x, T* y, int64_t rows, int64_t cols, bool log) {
#pragma omp parallel for schedule(static) if (rows * cols > 4096)
  for (int64_t r = 0; r < rows; ++r) {
    const T* xr = x + r * cols;
    T* yr = y + r * cols;
    const T m = *std::max_element(xr, xr + cols);
    double sum = 0.0;
    for (int64_t j = 0; j < cols; ++j) {
      const T e = std::exp(xr[j] - m);
      yr[j] = e;
      sum += static_cast<double>(e);
    }
    if (log) {
      const T shift = m + static_cast<T>(std::log(sum));
      for (int64_t j = 0; j < cols; ++j) yr[j] = xr[j] - shift;
    } else {
      const T inv = static_cast<T>(1.0 / sum);
      for (int64_t j = 0; j < cols; ++j) yr[j] *= inv;
    }
  }
}

template <typename T>
void backward(const T* y, const T* dy, T* dx, int64_t rows, int64_t cols, bool log) {
#pragma omp parallel for schedule(static) if (rows * cols > 4096)
  for (int64_t r = 0; r < rows; ++r) {
    const T* yr = y + r * cols;
    const T* dyr = dy + r * cols;
    T* dxr = dx + r * cols;
    double dot = 0.0;
    if (log) {
      for (int64_t j = 0; j < cols; ++j) dot += static_cast<double>(dyr[j]);
      const T s = static_cast<T>(dot);
      for (int64_t j = 0; j < cols; ++j) dxr[j] = dyr[j] - std::exp(yr[j]) * s;
    } else {
      for (int64_t j = 0; j < cols; ++j) dot += static_cast<double>(dyr[j]) * static_cast<double>(yr[j]);
      const T s = static_cast<T>(dot);
      for (int64_t j = 0; j < cols; ++j) dxr[j] = yr[j] * (dyr[j] - s);
    }
  }
}

}  // namespace

void softmax_forward(ConstView x, View y, bool log) {
  const int64_t cols = x.size(-1), rows = cols > 0 ? x.numel() / cols : 0;
  COHORT_DISPATCH_FLOATING(x.dtype(), log ? "log_softmax" : "softmax", [&] {
    forward(x.data<scalar_t>(), y.data<scalar_t>(), rows, cols, log);
  });
}

void softmax_backward(ConstView y, ConstView grad_y, View grad_x, bool log) {
  const int64_t cols = y.size(-1), rows = cols > 0 ? y.numel() / cols : 0;
  COHORT_DISPATCH_FLOATING(y.dtype(), log ? "log_softmax_backward" : "softmax_backward", [&] {
    backward(y.data<scalar_t>(), grad_y.data<scalar_t>(), grad_x.data<scalar_t>(), rows, cols, log);
  });
}

}  // namespace cohort::cpu
