// Row-wise softmax math shared by the CPU reference and the CUDA kernels of the distillation
// losses: a numerically stable log-sum-exp, and the per-element KL and cross-entropy terms.
// Every function works on one row of C logits with an optional temperature T (z/T).
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/common/hd.h"

namespace cohort::math {

// Online softmax state: the running maximum m and the sum s of exp(x - m). Merging two states
// (or adding one element) keeps the sum relative to the larger maximum — one pass over the row.
template <typename T>
struct OnlineSoftmax {
  T max = -INFINITY;
  T sum = 0;
  COHORT_HD void add(T x) {
    if (x > max) {
      sum = sum * std::exp(max - x) + T(1);
      max = x;
    } else {
      sum += std::exp(x - max);
    }
  }
  COHORT_HD void merge(const OnlineSoftmax& o) {
    if (o.max > max) {
      sum = sum * std::exp(max - o.max) + o.sum;
      max = o.max;
    } else if (o.sum > T(0)) {
      sum += o.sum * std::exp(o.max - max);
    }
  }
  COHORT_HD T log_sum_exp() const { return max + std::log(sum); }
};

// log-sum-exp of row[0..C) / temperature.
template <typename T>
COHORT_HD T row_log_sum_exp(const T* row, int64_t C, T inv_temperature) {
  OnlineSoftmax<T> st;
  for (int64_t c = 0; c < C; ++c) st.add(row[c] * inv_temperature);
  return st.log_sum_exp();
}

// p log(p / q) with the convention 0 log 0 = 0, from p, log p and log q (every KL sum of the CPU
// reference, the block-per-row CUDA losses and the lab kernels adds these terms).
template <typename T>
COHORT_HD T kl_term(T p, T log_p, T log_q) {
  return p > T(0) ? p * (log_p - log_q) : T(0);
}
// The same from log p and log q.
template <typename T>
COHORT_HD T kl_term(T log_p, T log_q) {
  return kl_term(static_cast<T>(std::exp(log_p)), log_p, log_q);
}

}  // namespace cohort::math
