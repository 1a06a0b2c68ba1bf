#include "kernels/reduce.h"

#include <algorithm>
#include <vector>

#include "kernels/common/elementwise_math.h"

namespace cohort::cpu {

void reduce_sum(ConstView in, View out) {
  COHORT_DISPATCH_FLOATING(in.dtype(), "reduce_sum", [&] {
    const scalar_t* pi = in.data<scalar_t>();
    scalar_t* po = out.data<scalar_t>();
    const Dims& is = in.shape();
    const Dims& os = out.shape();
    const size_t rank = is.size();
    std::vector<double> acc(static_cast<size_t>(out.numel()), 0.0);
    if (out.numel() == 1 || rank == 0) {
      double s = 0.0;
      for (int64_t i = 0, n = in.numel(); i < n; ++i) s += pi[i];
      acc[0] = s;
    } else {
      // Output strides, zeroed on reduced dims: walking the input in order, each element adds
      // into acc[sum(idx[d] * ostride[d])].
      std::vector<int64_t> ostride(rank, 0);
      int64_t stride = 1;
      for (size_t k = rank; k-- > 0;) {
        ostride[k] = os[k] == 1 && is[k] != 1 ? 0 : stride;
        stride *= os[k];
      }
      const int64_t inner = is[rank - 1];
      const int64_t inner_stride = ostride[rank - 1];
      std::vector<int64_t> idx(is.begin(), is.end());  // multi-index over the input
      std::fill(idx.begin(), idx.end(), 0);
      int64_t off = 0;
      for (int64_t i = 0, n = in.numel(); i < n; i += inner) {
        if (inner_stride == 0) {
          double s = 0.0;
          for (int64_t j = 0; j < inner; ++j) s += pi[i + j];
          acc[static_cast<size_t>(off)] += s;
        } else {
          for (int64_t j = 0; j < inner; ++j) acc[static_cast<size_t>(off + j)] += pi[i + j];
        }
        for (int64_t d = static_cast<int64_t>(rank) - 2; d >= 0; --d) {
          size_t du = static_cast<size_t>(d);
          ++idx[du];
          off += ostride[du];
          if (idx[du] < is[du]) break;
          off -= ostride[du] * idx[du];
          idx[du] = 0;
        }
      }
    }
    for (size_t i = 0; i < acc.size(); ++i) po[i] = static_cast<scalar_t>(acc[i]);
  });
}

void argmax_lastdim(ConstView in, View out) {
  COHORT_DISPATCH_FLOATING(in.dtype(), "argmax", [&] {
    const scalar_t* p = in.data<scalar_t>();
    int64_t* po = out.data<int64_t>();
    const int64_t cols = in.size(-1), rows = in.numel() / cols;
    for (int64_t r = 0; r < rows; ++r) {
      const scalar_t* row = p + r * cols;
      // PyTorch's rule: the first NaN is the maximum (a NaN row must not look like a valid class).
      int64_t best = 0;
      for (int64_t c = 1; c < cols && !math::is_nan(row[best]); ++c)
        if (row[c] > row[best] || math::is_nan(row[c])) best = c;
      po[r] = best;
    }
  });
}

}  // namespace cohort::cpu
