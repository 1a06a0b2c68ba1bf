// CPU max and average pooling over NCHW planes (PyTorch semantics, floor mode).
//
// Every (n, c) plane is independent: OpenMP over N·C planes. Window (p, q) covers input rows
// [p·stride_h - pad_h, p·stride_h - pad_h + kernel_h) and likewise for columns; positions in
// the padding are ignored by max pooling (implicit -inf) and count as zeros for average
// pooling when count_include_pad (divisor kernel_h·kernel_w), otherwise the divisor is the
// number of in-bounds positions.
//
// max: indices[n,c,p,q] = h·W + w of the window's maximum; the first one wins on ties (strict
// >), NaN propagates as the maximum (PyTorch does the same). Backward scatters dy there.
// Bytes per call: read x once, write y (and indices) once; backward reads dy, writes dx.
#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/common/pool_math.h"
#include "kernels/nn.h"

namespace cohort::cpu {

namespace {

struct PoolGeom {
  int64_t planes, H, W, P, Q;
  int64_t kh, kw, sh, sw, ph, pw;
  PoolGeom(ConstView x, ConstView y, const Pool2dParams& p)
      : planes(x.size(0) * x.size(1)), H(x.size(2)), W(x.size(3)), P(y.size(2)), Q(y.size(3)),
        kh(p.kernel_h), kw(p.kernel_w), sh(p.stride_h), sw(p.stride_w), ph(p.pad_h), pw(p.pad_w) {}
  // 1x1 windows without padding: an average pool that only subsamples (x[:, :, ::sh, ::sw], the
  // ResNets' option-A shortcut), where each output is one input element.
  bool single_element_windows() const { return kh == 1 && kw == 1 && ph == 0 && pw == 0; }
};

// The average pool of single_element_windows(): a strided copy, and in backward a zero fill plus a
// strided copy back (no divisions, no per-window loops; the rows copy contiguously when sw = 1).
template <typename T>
void subsample_forward(const T* x, T* y, const PoolGeom& g) {
#pragma omp parallel for schedule(static)
  for (int64_t pl = 0; pl < g.planes; ++pl)
    for (int64_t p = 0; p < g.P; ++p) {
      const T* row = x + (pl * g.H + p * g.sh) * g.W;
      T* out = y + (pl * g.P + p) * g.Q;
      for (int64_t q = 0; q < g.Q; ++q) out[q] = row[q * g.sw];
    }
}

template <typename T>
void subsample_backward(const T* dy, T* dx, const PoolGeom& g) {
#pragma omp parallel for schedule(static)
  for (int64_t pl = 0; pl < g.planes; ++pl) {
    T* plane = dx + pl * g.H * g.W;
    std::fill(plane, plane + g.H * g.W, T(0));
    for (int64_t p = 0; p < g.P; ++p) {
      T* row = plane + p * g.sh * g.W;
      const T* in = dy + (pl * g.P + p) * g.Q;
      for (int64_t q = 0; q < g.Q; ++q) row[q * g.sw] = in[q];
    }
  }
}

template <typename T>
void max_forward(const T* x, T* y, int64_t* idx, const PoolGeom& g) {
#pragma omp parallel for schedule(static)
  for (int64_t pl = 0; pl < g.planes; ++pl) {
    const T* xp = x + pl * g.H * g.W;
    T* yp = y + pl * g.P * g.Q;
    int64_t* ip = idx + pl * g.P * g.Q;
    for (int64_t p = 0; p < g.P; ++p) {
      const int64_t h0 = std::max<int64_t>(p * g.sh - g.ph, 0);
      const int64_t h1 = std::min(p * g.sh - g.ph + g.kh, g.H);
      for (int64_t q = 0; q < g.Q; ++q) {
        const int64_t w0 = std::max<int64_t>(q * g.sw - g.pw, 0);
        const int64_t w1 = std::min(q * g.sw - g.pw + g.kw, g.W);
        T best = -std::numeric_limits<T>::infinity();
        int64_t best_at = h0 * g.W + w0;
        for (int64_t h = h0; h < h1; ++h)
          for (int64_t w = w0; w < w1; ++w) {
            const T v = xp[h * g.W + w];
            if (v > best || std::isnan(v)) {  // PyTorch's rule: NaN wins
              best = v;
              best_at = h * g.W + w;
            }
          }
        yp[p * g.Q + q] = best;
        ip[p * g.Q + q] = best_at;
      }
    }
  }
}

template <typename T>
void max_backward(const T* dy, const int64_t* idx, T* dx, const PoolGeom& g) {
#pragma omp parallel for schedule(static)
  for (int64_t pl = 0; pl < g.planes; ++pl) {
    T* dxp = dx + pl * g.H * g.W;
    const T* dyp = dy + pl * g.P * g.Q;
    const int64_t* ip = idx + pl * g.P * g.Q;
    std::fill(dxp, dxp + g.H * g.W, T(0));
    // Overlapping windows (stride < kernel) may pick the same input: accumulate.
    for (int64_t i = 0; i < g.P * g.Q; ++i) dxp[ip[i]] += dyp[i];
  }
}

// Divisor of window (p, q) (kernels/common/pool_math.h, shared with CUDA).
int64_t avg_divisor(const PoolGeom& g, int64_t p, int64_t q, bool count_include_pad) {
  return math::avg_pool_divisor(p, q, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, count_include_pad);
}

template <typename T>
void avg_forward(const T* x, T* y, const PoolGeom& g, bool include_pad) {
  if (g.single_element_windows()) return subsample_forward(x, y, g);
#pragma omp parallel for schedule(static)
  for (int64_t pl = 0; pl < g.planes; ++pl) {
    const T* xp = x + pl * g.H * g.W;
    T* yp = y + pl * g.P * g.Q;
    for (int64_t p = 0; p < g.P; ++p) {
      const int64_t h0 = std::max<int64_t>(p * g.sh - g.ph, 0);
      const int64_t h1 = std::min(p * g.sh - g.ph + g.kh, g.H);
      for (int64_t q = 0; q < g.Q; ++q) {
        const int64_t w0 = std::max<int64_t>(q * g.sw - g.pw, 0);
        const int64_t w1 = std::min(q * g.sw - g.pw + g.kw, g.W);
        T sum = T(0);
        for (int64_t h = h0; h < h1; ++h)
          for (int64_t w = w0; w < w1; ++w) sum += xp[h * g.W + w];
        const int64_t div = avg_divisor(g, p, q, include_pad);
        yp[p * g.Q + q] = div > 0 ? sum / static_cast<T>(div) : T(0);
      }
    }
  }
}

template <typename T>
void avg_backward(const T* dy, T* dx, const PoolGeom& g, bool include_pad) {
  if (g.single_element_windows()) return subsample_backward(dy, dx, g);
#pragma omp parallel for schedule(static)
  for (int64_t pl = 0; pl < g.planes; ++pl) {
    T* dxp = dx + pl * g.H * g.W;
    const T* dyp = dy + pl * g.P * g.Q;
    std::fill(dxp, dxp + g.H * g.W, T(0));
    for (int64_t p = 0; p < g.P; ++p) {
      const int64_t h0 = std::max<int64_t>(p * g.sh - g.ph, 0);
      const int64_t h1 = std::min(p * g.sh - g.ph + g.kh, g.H);
      for (int64_t q = 0; q < g.Q; ++q) {
        const int64_t w0 = std::max<int64_t>(q * g.sw - g.pw, 0);
        const int64_t w1 = std::min(q * g.sw - g.pw + g.kw, g.W);
        const int64_t div = avg_divisor(g, p, q, include_pad);
        if (div == 0) continue;
        const T share = dyp[p * g.Q + q] / static_cast<T>(div);
        for (int64_t h = h0; h < h1; ++h)
          for (int64_t w = w0; w < w1; ++w) dxp[h * g.W + w] += share;
      }
    }
  }
}

}  // namespace

void max_pool2d_forward(ConstView x, View y, View indices, const Pool2dParams& p) {
  const PoolGeom g(x, y, p);
  COHORT_DISPATCH_FLOATING(x.dtype(), "max_pool2d", [&] {
    max_forward(x.data<scalar_t>(), y.data<scalar_t>(), indices.data<int64_t>(), g);
  });
}

void max_pool2d_backward(ConstView grad_y, ConstView indices, View grad_x,
                         const Pool2dParams& p) {
  const PoolGeom g(grad_x, grad_y, p);
  COHORT_DISPATCH_FLOATING(grad_y.dtype(), "max_pool2d_backward", [&] {
    max_backward(grad_y.data<scalar_t>(), indices.data<int64_t>(), grad_x.data<scalar_t>(), g);
  });
}

void avg_pool2d_forward(ConstView x, View y, const Pool2dParams& p) {
  const PoolGeom g(x, y, p);
  COHORT_DISPATCH_FLOATING(x.dtype(), "avg_pool2d", [&] {
    avg_forward(x.data<scalar_t>(), y.data<scalar_t>(), g, p.count_include_pad);
  });
}

void avg_pool2d_backward(ConstView grad_y, View grad_x, const Pool2dParams& p) {
  const PoolGeom g(grad_x, grad_y, p);
  COHORT_DISPATCH_FLOATING(grad_y.dtype(), "avg_pool2d_backward", [&] {
    avg_backward(grad_y.data<scalar_t>(), grad_x.data<scalar_t>(), g, p.count_include_pad);
  });
}

}  // namespace cohort::cpu
