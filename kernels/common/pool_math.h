// Window arithmetic of 2-D pooling (floor mode, PyTorch semantics), shared by the CPU reference
// (kernels/cpu/nn_pool.cpp) and the CUDA kernels (kernels/cuda/nn_pool.cu).
//
// Output position p along one dim covers inputs [p·stride − pad, p·stride − pad + kernel);
// clipped to the input, that is [window_begin, window_end).
#pragma once

#include <cstdint>

#include "kernels/common/hd.h"

namespace cohort::math {

COHORT_HD int64_t window_begin(int64_t p, int64_t stride, int64_t pad) {
  const int64_t b = p * stride - pad;
  return b > 0 ? b : 0;
}

COHORT_HD int64_t window_end(int64_t p, int64_t stride, int64_t pad, int64_t kernel, int64_t size) {
  const int64_t e = p * stride - pad + kernel;
  return e < size ? e : size;
}

// Divisor of average-pooling window (p, q): kernel_h·kernel_w clipped to the padded input when
// count_include_pad (floor mode keeps windows inside it), else the in-bounds positions.
COHORT_HD int64_t avg_pool_divisor(int64_t p, int64_t q, int64_t H, int64_t W, int64_t kh,
                                   int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw,
                                   bool count_include_pad) {
  if (count_include_pad) {
    const int64_t hs = p * sh - ph, ws = q * sw - pw;
    const int64_t he = hs + kh < H + ph ? hs + kh : H + ph;
    const int64_t we = ws + kw < W + pw ? ws + kw : W + pw;
    return (he - hs) * (we - ws);
  }
  return (window_end(p, sh, ph, kh, H) - window_begin(p, sh, ph)) *
         (window_end(q, sw, pw, kw, W) - window_begin(q, sw, pw));
}

// The output positions [*first, *last] whose windows contain input position i (empty when
// *first > *last) — the gather form of the pooling backward passes.
COHORT_HD void covering_outputs(int64_t i, int64_t stride, int64_t pad, int64_t kernel,
                                int64_t out_size, int64_t* first, int64_t* last) {
  const int64_t t = i + pad - kernel + 1;  // p·stride >= t
  *first = t <= 0 ? 0 : (t + stride - 1) / stride;
  const int64_t l = (i + pad) / stride;    // p·stride <= i + pad
  *last = l < out_size - 1 ? l : out_size - 1;
}

}  // namespace cohort::math
