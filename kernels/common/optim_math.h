// Per-element optimiser updates shared by the CPU loops (kernels/cpu/optim.cpp) and the fused
// CUDA multi-tensor kernels (kernels/cuda/optim.cu), so both backends run one formula.
//
// The formulas follow torch.optim (1.13, single-tensor path) operation by operation, in the
// same order and the same precision (hyper-parameters are computed in double on the host, as
// Python does, then rounded to the tensor's element type, as PyTorch's kernels do):
//
//   SGD:   d = g + wd·p                          (only when wd != 0)
//          buf = d                               (first step: init_buffers)
//          buf = momentum·buf + (1 − dampening)·d (later steps)
//          d = d + momentum·buf  (nesterov)  |  d = buf  (classic momentum)
//          p = p − lr·d
//   Adam:  t = step (already incremented, ≥ 1)
//          p = p·(1 − lr·wd)                     (AdamW: decoupled decay)
//          g = g + wd·p                          (Adam: L2 decay, when wd != 0)
//          m = β1·m + (1 − β1)·g
//          v = β2·v + (1 − β2)·g·g
//          v̂max = max(v̂max, v)                   (amsgrad; the denominator then uses v̂max)
//          p = p − (lr / (1 − β1^t)) · m / (sqrt(v) / sqrt(1 − β2^t) + eps)
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/common/hd.h"

namespace cohort {

// Hyper-parameters of one SGD update call (one parameter group, one device, one dtype).
struct SgdHyper {
  double lr = 0;
  double momentum = 0;  // 0: no momentum buffers (the buffer list is empty)
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
  // true: the buffers are new (contents ignored) and are set to the first step's d.
  bool init_buffers = false;
};

// Hyper-parameters of one Adam/AdamW update call. `step` is the (already incremented) step
// count shared by every tensor of the call.
struct AdamHyper {
  double lr = 0;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;
  bool amsgrad = false;
  bool decoupled_weight_decay = false;  // false: Adam (L2 added to g); true: AdamW
  int64_t step = 1;
};

namespace math {

// The SGD scalars rounded to the element type once per call.
template <typename T>
struct SgdScalars {
  T neg_lr, momentum, one_minus_dampening, weight_decay;
  bool nesterov, has_momentum, has_weight_decay, init_buffers;
};

template <typename T>
inline SgdScalars<T> sgd_scalars(const SgdHyper& h) {
  return {static_cast<T>(-h.lr), static_cast<T>(h.momentum), static_cast<T>(1.0 - h.dampening),
          static_cast<T>(h.weight_decay), h.nesterov, h.momentum != 0, h.weight_decay != 0,
          h.init_buffers};
}

// One element: p (in/out), g (in), buf (in/out; ignored when there is no momentum).
template <typename T>
COHORT_HD void sgd_element(T& p, T g, T& buf, const SgdScalars<T>& s) {
  T d = g;
  if (s.has_weight_decay) d = d + s.weight_decay * p;
  if (s.has_momentum) {
    if (s.init_buffers) {
      buf = d;
    } else {
      buf = buf * s.momentum;
      buf = buf + s.one_minus_dampening * d;
    }
    d = s.nesterov ? d + s.momentum * buf : buf;
  }
  p = p + s.neg_lr * d;
}

// The Adam scalars: bias corrections computed in double (Python floats in PyTorch), then
// rounded to the element type.
template <typename T>
struct AdamScalars {
  T beta1, one_minus_beta1, beta2, one_minus_beta2, eps, weight_decay;
  T decay_factor;    // 1 − lr·wd (AdamW)
  T neg_step_size;   // −lr / (1 − β1^t)
  T bias_correction2_sqrt;  // sqrt(1 − β2^t)
  bool amsgrad, decoupled, has_weight_decay;
};

template <typename T>
inline AdamScalars<T> adam_scalars(const AdamHyper& h) {
  const double t = static_cast<double>(h.step);
  const double bias_correction1 = 1.0 - std::pow(h.beta1, t);
  const double bias_correction2 = 1.0 - std::pow(h.beta2, t);
  const double step_size = h.lr / bias_correction1;
  return {static_cast<T>(h.beta1),
          static_cast<T>(1.0 - h.beta1),
          static_cast<T>(h.beta2),
          static_cast<T>(1.0 - h.beta2),
          static_cast<T>(h.eps),
          static_cast<T>(h.weight_decay),
          static_cast<T>(1.0 - h.lr * h.weight_decay),
          static_cast<T>(-step_size),
          static_cast<T>(std::sqrt(bias_correction2)),
          h.amsgrad,
          h.decoupled_weight_decay,
          h.weight_decay != 0};
}

// max that propagates NaN from either side, like torch.maximum.
template <typename T>
COHORT_HD T nan_max(T a, T b) {
  return (a != a || a >= b) ? a : b;
}

// One element: p, m, v, vmax (in/out; vmax ignored unless amsgrad), g (in).
template <typename T>
COHORT_HD void adam_element(T& p, T g, T& m, T& v, T& vmax, const AdamScalars<T>& s) {
  if (s.decoupled) {
    p = p * s.decay_factor;
  } else if (s.has_weight_decay) {
    g = g + s.weight_decay * p;
  }
  m = m * s.beta1;
  m = m + s.one_minus_beta1 * g;
  v = v * s.beta2;
  v = v + s.one_minus_beta2 * g * g;
  T second = v;
  if (s.amsgrad) {
    vmax = nan_max(vmax, v);
    second = vmax;
  }
  const T denom = std::sqrt(second) / s.bias_correction2_sqrt + s.eps;
  p = p + s.neg_step_size * m / denom;
}

}  // namespace math
}  // namespace cohort
