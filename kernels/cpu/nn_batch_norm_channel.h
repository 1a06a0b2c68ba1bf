// The per-channel arithmetic both CPU batch-norm layouts share (nn_batch_norm.cpp for NCHW,
// nn_batch_norm_nhwc.cpp for NHWC): from a channel's statistics to the affine map y = x·scale +
// shift, and the running-statistics update. One place, so the layouts cannot drift apart.
#pragma once

#include <cmath>
#include <cstdint>

namespace cohort::cpu::batch_norm_channel {

struct Affine {
  double scale, shift;
};

// y = (x - mean)·invstd·γ + β as x·scale + shift (γ = 1, β = 0 without weight or bias).
template <typename T>
Affine affine(const T* weight, const T* bias, int64_t c, double mean, double invstd) {
  const double gamma = weight ? static_cast<double>(weight[c]) : 1.0;
  const double beta = bias ? static_cast<double>(bias[c]) : 0.0;
  const double scale = gamma * invstd;
  return {scale, beta - mean * scale};
}

// Training: channel c's batch mean and Σ(x-mean)² over M values. Saves mean and invstd for the
// backward, moves the running statistics (variance unbiased, as PyTorch) and returns the map.
template <typename T>
Affine train(const T* weight, const T* bias, T* running_mean, T* running_var, double momentum, double eps,
             T* save_mean, T* save_invstd, int64_t c, double mean, double squares, double M) {
  const double var = squares / M;
  const double invstd = 1.0 / std::sqrt(var + eps);
  save_mean[c] = static_cast<T>(mean);
  save_invstd[c] = static_cast<T>(invstd);
  if (running_mean) running_mean[c] = static_cast<T>((1.0 - momentum) * running_mean[c] + momentum * mean);
  if (running_var) {
    const double unbiased = M > 1 ? squares / (M - 1) : var;
    running_var[c] = static_cast<T>((1.0 - momentum) * running_var[c] + momentum * unbiased);
  }
  return affine(weight, bias, c, mean, invstd);
}

// Evaluation: the map from the running statistics.
template <typename T>
Affine eval(const T* weight, const T* bias, const T* running_mean, const T* running_var, double eps, int64_t c) {
  const double invstd = 1.0 / std::sqrt(static_cast<double>(running_var[c]) + eps);
  return affine(weight, bias, c, static_cast<double>(running_mean[c]), invstd);
}

}  // namespace cohort::cpu::batch_norm_channel
