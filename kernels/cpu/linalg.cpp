// GEMM through Eigen on row-major maps; Eigen's own blocking and (with OpenMP) threads.
#include "kernels/linalg.h"

#include <Eigen/Core>
#include <algorithm>

namespace cohort::cpu {

namespace {
template <typename T>
using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T>
using ConstMap = Eigen::Map<const RowMajor<T>>;
template <typename T>
using Map = Eigen::Map<RowMajor<T>>;

template <typename T>
void gemm_one(const T* a, int64_t ar, int64_t ac, bool ta, const T* b, int64_t br, int64_t bc,
              bool tb, T* c, int64_t m, int64_t n, T alpha, T beta) {
  ConstMap<T> A(a, ar, ac), B(b, br, bc);
  Map<T> C(c, m, n);
  // beta == 0 must ignore C's old contents entirely (they may be NaN sentinels).
  if (beta == T(0)) {
    if (!ta && !tb) C.noalias() = alpha * (A * B);
    else if (ta && !tb) C.noalias() = alpha * (A.transpose() * B);
    else if (!ta && tb) C.noalias() = alpha * (A * B.transpose());
    else C.noalias() = alpha * (A.transpose() * B.transpose());
  } else {
    C *= beta;
    if (!ta && !tb) C.noalias() += alpha * (A * B);
    else if (ta && !tb) C.noalias() += alpha * (A.transpose() * B);
    else if (!ta && tb) C.noalias() += alpha * (A * B.transpose());
    else C.noalias() += alpha * (A.transpose() * B.transpose());
  }
}
}  // namespace

void gemm(ConstView a, bool trans_a, ConstView b, bool trans_b, View c, double alpha,
          double beta) {
  COHORT_DISPATCH_FLOATING(a.dtype(), "gemm", [&] {
    const bool batched = a.dim() == 3;
    const int64_t batch = batched ? a.size(0) : 1;
    const int64_t ar = a.size(-2), ac = a.size(-1), br = b.size(-2), bc = b.size(-1);
    const int64_t m = c.size(-2), n = c.size(-1);
    const scalar_t* pa = a.data<scalar_t>();
    const scalar_t* pb = b.data<scalar_t>();
    scalar_t* pc = c.data<scalar_t>();
    for (int64_t i = 0; i < batch; ++i)
      gemm_one<scalar_t>(pa + i * ar * ac, ar, ac, trans_a, pb + i * br * bc, br, bc, trans_b,
                         pc + i * m * n, m, n, static_cast<scalar_t>(alpha),
                         static_cast<scalar_t>(beta));
  });
}

namespace {

// out[b] = in[b]ᵀ for [rows, cols] matrices. Tiles of 16x16 keep both the reads and the strided
// writes within a few cache lines.
template <typename T>
void transpose_batched(const T* in, T* out, int64_t batch, int64_t rows, int64_t cols) {
  constexpr int64_t kTile = 16;
#pragma omp parallel for collapse(2) schedule(static) if (batch * rows * cols > (1 << 16))
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t i0 = 0; i0 < rows; i0 += kTile)
      for (int64_t j0 = 0; j0 < cols; j0 += kTile) {
        const T* src = in + b * rows * cols;
        T* dst = out + b * rows * cols;
        for (int64_t i = i0; i < std::min(i0 + kTile, rows); ++i)
          for (int64_t j = j0; j < std::min(j0 + kTile, cols); ++j) dst[j * rows + i] = src[i * cols + j];
      }
}

}  // namespace

void transpose2d(ConstView in, View out) {
  const int64_t batch = in.dim() == 3 ? in.size(0) : 1;
  COHORT_DISPATCH_ALL(in.dtype(), "transpose2d", [&] {
    transpose_batched(in.data<scalar_t>(), out.data<scalar_t>(), batch, in.size(-2), in.size(-1));
  });
}

}  // namespace cohort::cpu
