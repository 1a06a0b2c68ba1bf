// CPU conv2d reference: forward, backward-data and backward-weight (the reference for oneDNN
// (kernels/cpu/nn_conv_onednn.cpp) and for the cuDNN path; chosen in nn_conv_dispatch.cpp).
//
// Shapes: x [N,C,H,W], w [K,C/G,R,S], y [N,K,P,Q], G = groups, Cg = C/G, Kg = K/G.
//
// Algorithm (general path, "im2col + GEMM", as Caffe):
//   forward   per image n, group g:  col[Cg·R·S, P·Q] = im2col(x[n, g])
//                                    y[n, g] [Kg, P·Q] = W_g [Kg, Cg·R·S] · col
//   bwd data  per image n, group g:  dcol = W_gᵀ · dy[n, g];  dx[n, g] = col2im(dcol)
//   bwd wght  per group g:           dW_g = Σ_n dy[n, g] · im2col(x[n, g])ᵀ
// FLOPs per call: 2·N·K·P·Q·Cg·R·S for each of the three. The col buffer is Cg·R·S·P·Q elements
// per thread (≈ 590 KB in f32 for ResNet's 16→16 32×32 layer).
//
// Threads: OpenMP over the batch, one col buffer per thread; Eigen then runs each GEMM on one
// thread (it does not nest inside an active parallel region). The weight gradient accumulates
// per-thread partial sums which are added in thread order afterwards (deterministic for a
// fixed thread count). With a batch of 1 the loop runs serially and Eigen threads the GEMM.
//
// Special cases:
//   - 1×1, stride 1, no padding: col is x itself, no im2col copy.
//   - depthwise (G == C, K = C·multiplier): a direct loop per output plane; im2col would turn
//     it into N·C tiny GEMMs of one row each.
#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <vector>

#include "kernels/cpu/nn_conv_paths.h"

namespace cohort::cpu {

namespace {

template <typename T>
using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T>
using ConstMat = Eigen::Map<const RowMajor<T>>;
template <typename T>
using Mat = Eigen::Map<RowMajor<T>>;

// Everything the loops need, derived once from the shapes and parameters.
struct ConvGeom {
  int64_t N, C, H, W;   // input
  int64_t K, R, S;      // weight
  int64_t P, Q;         // output spatial size
  int64_t G, Cg, Kg;    // groups, channels per group
  int64_t sh, sw, ph, pw, dh, dw;

  int64_t col_rows() const { return Cg * R * S; }
  int64_t col_cols() const { return P * Q; }
  bool pointwise() const {  // col == x: no im2col needed
    return R == 1 && S == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0;
  }
  bool depthwise() const { return G > 1 && G == C && Cg == 1; }
};

ConvGeom make_geom(const Dims& x, const Dims& w, const Dims& y, const Conv2dParams& p) {
  ConvGeom g{};
  g.N = x[0]; g.C = x[1]; g.H = x[2]; g.W = x[3];
  g.K = w[0]; g.R = w[2]; g.S = w[3];
  g.P = y[2]; g.Q = y[3];
  g.G = p.groups; g.Cg = g.C / g.G; g.Kg = g.K / g.G;
  g.sh = p.stride_h; g.sw = p.stride_w; g.ph = p.pad_h; g.pw = p.pad_w;
  g.dh = p.dilation_h; g.dw = p.dilation_w;
  return g;
}

// Output columns q in [q0, q1) read input column q·stride + offset inside [0, width).
// Computing the range once per kernel column keeps the inner loops free of bounds checks.
struct Range { int64_t begin, end; };
Range valid_outputs(int64_t offset, int64_t stride, int64_t width, int64_t count) {
  auto ceil_div = [](int64_t a, int64_t b) { return (a + b - 1) / b; };  // a >= 0, b > 0
  int64_t begin = offset >= 0 ? 0 : ceil_div(-offset, stride);
  int64_t end = width - offset <= 0 ? 0 : ceil_div(width - offset, stride);
  begin = std::min(begin, count);
  end = std::clamp(end, begin, count);
  return {begin, end};
}

// Output rows [p0, p1) of one image-group x [Cg, H, W] as col [Cg·R·S, (p1-p0)·Q];
// padded positions become 0.
template <typename T>
void im2col(const T* x, const ConvGeom& g, int64_t p0, int64_t p1, T* col) {
  const int64_t cols = (p1 - p0) * g.Q;
  for (int64_t c = 0; c < g.Cg; ++c) {
    const T* plane = x + c * g.H * g.W;
    for (int64_t r = 0; r < g.R; ++r) {
      for (int64_t s = 0; s < g.S; ++s) {
        T* row = col + ((c * g.R + r) * g.S + s) * cols;
        const int64_t w_off = s * g.dw - g.pw;
        const Range qs = valid_outputs(w_off, g.sw, g.W, g.Q);
        for (int64_t p = p0; p < p1; ++p) {
          T* out = row + (p - p0) * g.Q;
          const int64_t h = p * g.sh - g.ph + r * g.dh;
          if (h < 0 || h >= g.H) {
            std::fill(out, out + g.Q, T(0));
            continue;
          }
          const T* in = plane + h * g.W + w_off;
          std::fill(out, out + qs.begin, T(0));
          if (g.sw == 1) {
            std::copy(in + qs.begin, in + qs.end, out + qs.begin);
          } else {
            for (int64_t q = qs.begin; q < qs.end; ++q) out[q] = in[q * g.sw];
          }
          std::fill(out + qs.end, out + g.Q, T(0));
        }
      }
    }
  }
}

// dx [Cg, H, W] += col2im(dcol [Cg·R·S, (p1-p0)·Q]) for output rows [p0, p1): the adjoint of
// im2col (contributions to padding positions are dropped).
template <typename T>
void col2im_add(const T* dcol, const ConvGeom& g, int64_t p0, int64_t p1, T* dx) {
  const int64_t cols = (p1 - p0) * g.Q;
  for (int64_t c = 0; c < g.Cg; ++c) {
    T* plane = dx + c * g.H * g.W;
    for (int64_t r = 0; r < g.R; ++r) {
      for (int64_t s = 0; s < g.S; ++s) {
        const T* row = dcol + ((c * g.R + r) * g.S + s) * cols;
        const int64_t w_off = s * g.dw - g.pw;
        const Range qs = valid_outputs(w_off, g.sw, g.W, g.Q);
        for (int64_t p = p0; p < p1; ++p) {
          const int64_t h = p * g.sh - g.ph + r * g.dh;
          if (h < 0 || h >= g.H) continue;
          const T* in = row + (p - p0) * g.Q;
          T* out = plane + h * g.W + w_off;
          for (int64_t q = qs.begin; q < qs.end; ++q) out[q * g.sw] += in[q];
        }
      }
    }
  }
}

// ---- general path: im2col + GEMM over tiles of output rows ----------------------------------
//
// The col matrix of a whole image (e.g. 144 × 1024 f32 = 590 KB) overflows L2, so each image is
// processed in tiles of output rows: the tile's col block is written and immediately consumed
// by the GEMM while it is cache-resident. Tiles keep ≥ 256 GEMM columns (Eigen's efficiency
// drops for narrower products) and aim at ~32 K col elements.

int64_t rows_per_tile(const ConvGeom& g) {
  constexpr int64_t kTargetElements = 32 * 1024, kMinColumns = 256;
  const int64_t by_cache = kTargetElements / std::max<int64_t>(g.col_rows() * g.Q, 1);
  const int64_t by_width = (kMinColumns + g.Q - 1) / g.Q;
  return std::clamp<int64_t>(std::max(by_cache, by_width), 1, g.P);
}

// A [rows, cols] block inside a row-major matrix whose rows are `stride` elements apart.
template <typename T>
using StridedMat = Eigen::Map<RowMajor<T>, 0, Eigen::OuterStride<>>;
template <typename T>
using ConstStridedMat = Eigen::Map<const RowMajor<T>, 0, Eigen::OuterStride<>>;

template <typename T>
void conv_forward_gemm(const T* x, const T* w, const T* bias, T* y, const ConvGeom& g) {
  const int64_t rows = g.col_rows(), PQ = g.P * g.Q, tile = rows_per_tile(g);
  const bool pointwise = g.pointwise();
#pragma omp parallel if (g.N > 1)
  {
    std::vector<T> col(pointwise ? 0 : static_cast<size_t>(rows * tile * g.Q));
#pragma omp for schedule(static)
    for (int64_t n = 0; n < g.N; ++n) {
      for (int64_t grp = 0; grp < g.G; ++grp) {
        const T* x_ng = x + (n * g.C + grp * g.Cg) * g.H * g.W;
        T* y_ng = y + (n * g.K + grp * g.Kg) * PQ;
        ConstMat<T> Wg(w + grp * g.Kg * rows, g.Kg, rows);
        if (pointwise) {  // x itself is the col matrix
          Mat<T>(y_ng, g.Kg, PQ).noalias() = Wg * ConstMat<T>(x_ng, rows, PQ);
          continue;
        }
        for (int64_t p0 = 0; p0 < g.P; p0 += tile) {
          const int64_t p1 = std::min(p0 + tile, g.P), cols = (p1 - p0) * g.Q;
          im2col(x_ng, g, p0, p1, col.data());
          StridedMat<T>(y_ng + p0 * g.Q, g.Kg, cols, Eigen::OuterStride<>(PQ)).noalias() =
              Wg * ConstMat<T>(col.data(), rows, cols);
        }
      }
      if (bias) {
        for (int64_t k = 0; k < g.K; ++k) {
          T* plane = y + (n * g.K + k) * PQ;
          const T b = bias[k];
          for (int64_t i = 0; i < PQ; ++i) plane[i] += b;
        }
      }
    }
  }
}

template <typename T>
void conv_backward_data_gemm(const T* dy, const T* w, T* dx, const ConvGeom& g) {
  const int64_t rows = g.col_rows(), PQ = g.P * g.Q, tile = rows_per_tile(g);
  const bool pointwise = g.pointwise();
#pragma omp parallel if (g.N > 1)
  {
    std::vector<T> dcol(pointwise ? 0 : static_cast<size_t>(rows * tile * g.Q));
#pragma omp for schedule(static)
    for (int64_t n = 0; n < g.N; ++n) {
      for (int64_t grp = 0; grp < g.G; ++grp) {
        T* dx_ng = dx + (n * g.C + grp * g.Cg) * g.H * g.W;
        const T* dy_ng = dy + (n * g.K + grp * g.Kg) * PQ;
        ConstMat<T> Wg(w + grp * g.Kg * rows, g.Kg, rows);
        if (pointwise) {  // dx_ng is exactly dcol: write it directly
          Mat<T>(dx_ng, rows, PQ).noalias() = Wg.transpose() * ConstMat<T>(dy_ng, g.Kg, PQ);
          continue;
        }
        std::fill(dx_ng, dx_ng + g.Cg * g.H * g.W, T(0));
        for (int64_t p0 = 0; p0 < g.P; p0 += tile) {
          const int64_t p1 = std::min(p0 + tile, g.P), cols = (p1 - p0) * g.Q;
          Mat<T>(dcol.data(), rows, cols).noalias() =
              Wg.transpose() * ConstStridedMat<T>(dy_ng + p0 * g.Q, g.Kg, cols, Eigen::OuterStride<>(PQ));
          col2im_add(dcol.data(), g, p0, p1, dx_ng);
        }
      }
    }
  }
}

template <typename T>
void conv_backward_weight_gemm(const T* dy, const T* x, T* dw, const ConvGeom& g) {
  const int64_t rows = g.col_rows(), PQ = g.P * g.Q, tile = rows_per_tile(g);
  const int64_t wsize = g.K * rows;
  const bool pointwise = g.pointwise();
  // One partial dW per thread, summed afterwards in thread order.
  std::vector<std::vector<T>> partials;
#pragma omp parallel if (g.N > 1)
  {
#pragma omp single
    partials.resize(static_cast<size_t>(omp_get_num_threads()));
    // (implicit barrier after single)
    std::vector<T>& mine = partials[static_cast<size_t>(omp_get_thread_num())];
    mine.assign(static_cast<size_t>(wsize), T(0));
    std::vector<T> col(pointwise ? 0 : static_cast<size_t>(rows * tile * g.Q));
#pragma omp for schedule(static)
    for (int64_t n = 0; n < g.N; ++n) {
      for (int64_t grp = 0; grp < g.G; ++grp) {
        const T* x_ng = x + (n * g.C + grp * g.Cg) * g.H * g.W;
        const T* dy_ng = dy + (n * g.K + grp * g.Kg) * PQ;
        Mat<T> dWg(mine.data() + grp * g.Kg * rows, g.Kg, rows);
        if (pointwise) {
          dWg.noalias() += ConstMat<T>(dy_ng, g.Kg, PQ) * ConstMat<T>(x_ng, rows, PQ).transpose();
          continue;
        }
        for (int64_t p0 = 0; p0 < g.P; p0 += tile) {
          const int64_t p1 = std::min(p0 + tile, g.P), cols = (p1 - p0) * g.Q;
          im2col(x_ng, g, p0, p1, col.data());
          dWg.noalias() += ConstStridedMat<T>(dy_ng + p0 * g.Q, g.Kg, cols, Eigen::OuterStride<>(PQ)) *
                           ConstMat<T>(col.data(), rows, cols).transpose();
        }
      }
    }
  }
  std::copy(partials[0].begin(), partials[0].end(), dw);
  for (size_t t = 1; t < partials.size(); ++t)
    for (int64_t i = 0; i < wsize; ++i) dw[i] += partials[t][static_cast<size_t>(i)];
}

// ---- depthwise path: direct loops ----------------------------------------------------------
// Output channel k reads input channel k / multiplier through its own R×S filter.

template <typename T>
void depthwise_forward(const T* x, const T* w, const T* bias, T* y, const ConvGeom& g) {
  const int64_t mult = g.K / g.C;
#pragma omp parallel for schedule(static)
  for (int64_t nk = 0; nk < g.N * g.K; ++nk) {
    const int64_t n = nk / g.K, k = nk % g.K, c = k / mult;
    const T* xp = x + (n * g.C + c) * g.H * g.W;
    const T* wk = w + k * g.R * g.S;
    T* yp = y + nk * g.P * g.Q;
    std::fill(yp, yp + g.P * g.Q, bias ? bias[k] : T(0));
    for (int64_t r = 0; r < g.R; ++r) {
      for (int64_t s = 0; s < g.S; ++s) {
        const T wv = wk[r * g.S + s];
        const int64_t w_off = s * g.dw - g.pw;
        const Range qs = valid_outputs(w_off, g.sw, g.W, g.Q);
        for (int64_t p = 0; p < g.P; ++p) {
          const int64_t h = p * g.sh - g.ph + r * g.dh;
          if (h < 0 || h >= g.H) continue;
          const T* in = xp + h * g.W + w_off;
          T* out = yp + p * g.Q;
          for (int64_t q = qs.begin; q < qs.end; ++q) out[q] += wv * in[q * g.sw];
        }
      }
    }
  }
}

template <typename T>
void depthwise_backward_data(const T* dy, const T* w, T* dx, const ConvGeom& g) {
  const int64_t mult = g.K / g.C;
  // One input plane per iteration: it gathers from its `mult` output planes, so no races.
#pragma omp parallel for schedule(static)
  for (int64_t nc = 0; nc < g.N * g.C; ++nc) {
    const int64_t n = nc / g.C, c = nc % g.C;
    T* dxp = dx + nc * g.H * g.W;
    std::fill(dxp, dxp + g.H * g.W, T(0));
    for (int64_t k = c * mult; k < (c + 1) * mult; ++k) {
      const T* dyp = dy + (n * g.K + k) * g.P * g.Q;
      const T* wk = w + k * g.R * g.S;
      for (int64_t r = 0; r < g.R; ++r) {
        for (int64_t s = 0; s < g.S; ++s) {
          const T wv = wk[r * g.S + s];
          const int64_t w_off = s * g.dw - g.pw;
          const Range qs = valid_outputs(w_off, g.sw, g.W, g.Q);
          for (int64_t p = 0; p < g.P; ++p) {
            const int64_t h = p * g.sh - g.ph + r * g.dh;
            if (h < 0 || h >= g.H) continue;
            const T* gin = dyp + p * g.Q;
            T* out = dxp + h * g.W + w_off;
            for (int64_t q = qs.begin; q < qs.end; ++q) out[q * g.sw] += wv * gin[q];
          }
        }
      }
    }
  }
}

template <typename T>
void depthwise_backward_weight(const T* dy, const T* x, T* dw, const ConvGeom& g) {
  const int64_t mult = g.K / g.C;
  // One filter per iteration; each tap sums over the batch and the output plane.
#pragma omp parallel for schedule(static)
  for (int64_t k = 0; k < g.K; ++k) {
    const int64_t c = k / mult;
    for (int64_t r = 0; r < g.R; ++r) {
      for (int64_t s = 0; s < g.S; ++s) {
        const int64_t w_off = s * g.dw - g.pw;
        const Range qs = valid_outputs(w_off, g.sw, g.W, g.Q);
        double total = 0.0;  // long sums (N·P·Q terms): accumulate rows in T, the total in f64
        for (int64_t n = 0; n < g.N; ++n) {
          const T* xp = x + (n * g.C + c) * g.H * g.W;
          const T* dyp = dy + (n * g.K + k) * g.P * g.Q;
          for (int64_t p = 0; p < g.P; ++p) {
            const int64_t h = p * g.sh - g.ph + r * g.dh;
            if (h < 0 || h >= g.H) continue;
            const T* in = xp + h * g.W + w_off;
            const T* gout = dyp + p * g.Q;
            T row = T(0);
            for (int64_t q = qs.begin; q < qs.end; ++q) row += gout[q] * in[q * g.sw];
            total += static_cast<double>(row);
          }
        }
        dw[(k * g.R + r) * g.S + s] = static_cast<T>(total);
      }
    }
  }
}

}  // namespace

namespace conv_reference {

void forward(ConstView x, ConstView w, ConstView bias, View y, const Conv2dParams& p) {
  const ConvGeom g = make_geom(x.shape(), w.shape(), y.shape(), p);
  COHORT_DISPATCH_FLOATING(x.dtype(), "conv2d", [&] {
    const scalar_t* pb = bias.defined() ? bias.data<scalar_t>() : nullptr;
    if (g.depthwise())
      depthwise_forward(x.data<scalar_t>(), w.data<scalar_t>(), pb, y.data<scalar_t>(), g);
    else
      conv_forward_gemm(x.data<scalar_t>(), w.data<scalar_t>(), pb, y.data<scalar_t>(), g);
  });
}

void backward_data(ConstView grad_y, ConstView w, View grad_x, const Conv2dParams& p) {
  const ConvGeom g = make_geom(grad_x.shape(), w.shape(), grad_y.shape(), p);
  COHORT_DISPATCH_FLOATING(grad_y.dtype(), "conv2d_backward_data", [&] {
    if (g.depthwise())
      depthwise_backward_data(grad_y.data<scalar_t>(), w.data<scalar_t>(),
                              grad_x.data<scalar_t>(), g);
    else
      conv_backward_data_gemm(grad_y.data<scalar_t>(), w.data<scalar_t>(),
                              grad_x.data<scalar_t>(), g);
  });
}

void backward_weight(ConstView grad_y, ConstView x, View grad_w, const Conv2dParams& p) {
  const ConvGeom g = make_geom(x.shape(), grad_w.shape(), grad_y.shape(), p);
  COHORT_DISPATCH_FLOATING(grad_y.dtype(), "conv2d_backward_weight", [&] {
    if (g.depthwise())
      depthwise_backward_weight(grad_y.data<scalar_t>(), x.data<scalar_t>(),
                                grad_w.data<scalar_t>(), g);
    else
      conv_backward_weight_gemm(grad_y.data<scalar_t>(), x.data<scalar_t>(),
                                grad_w.data<scalar_t>(), g);
  });
}

}  // namespace conv_reference

}  // namespace cohort::cpu
