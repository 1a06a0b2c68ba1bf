// CPU 2-D padding of the last two dims (planes of [.., H, W] -> [.., H+top+bottom, W+left+right]).
//
// zero:    y[i, j] = x[i - top, j - left] inside, 0 outside.
// reflect: out-of-range indices mirror around the edge without repeating it
//          (PyTorch's ReflectionPad2d: ... x2 x1 | x0 x1 x2 ... ), so pads must be < H and < W.
// Backward: zero -> the interior of dy; reflect -> every dy element added to the x element it
// was read from (edge-adjacent elements receive several contributions).
// Threads: OpenMP over planes. Bytes: read x once, write y once.
#include <algorithm>

#include "kernels/nn.h"

namespace cohort::cpu {

namespace {

struct PadGeom {
  int64_t planes, H, W, OH, OW, top, left;
  PadGeom(ConstView x, ConstView y, const Pad2dParams& p)
      : planes(x.numel() / (x.size(-2) * x.size(-1))), H(x.size(-2)), W(x.size(-1)),
        OH(y.size(-2)), OW(y.size(-1)), top(p.top), left(p.left) {}
};

// Input index read by output index o (already shifted by the leading pad) under reflection.
inline int64_t reflect_index(int64_t i, int64_t n) {
  if (i < 0) return -i;
  if (i >= n) return 2 * (n - 1) - i;
  return i;
}

template <typename T>
void pad_forward(const T* x, T* y, const PadGeom& g, PadMode mode) {
#pragma omp parallel for schedule(static)
  for (int64_t pl = 0; pl < g.planes; ++pl) {
    const T* xp = x + pl * g.H * g.W;
    T* yp = y + pl * g.OH * g.OW;
    for (int64_t i = 0; i < g.OH; ++i) {
      T* row = yp + i * g.OW;
      const int64_t h = i - g.top;
      if (mode == PadMode::zero) {
        if (h < 0 || h >= g.H) {
          std::fill(row, row + g.OW, T(0));
          continue;
        }
        const int64_t copy_end = std::min(g.left + g.W, g.OW);
        std::fill(row, row + g.left, T(0));
        std::copy(xp + h * g.W, xp + h * g.W + (copy_end - g.left), row + g.left);
        std::fill(row + copy_end, row + g.OW, T(0));
      } else {
        const T* src = xp + reflect_index(h, g.H) * g.W;
        for (int64_t j = 0; j < g.OW; ++j) row[j] = src[reflect_index(j - g.left, g.W)];
      }
    }
  }
}

template <typename T>
void pad_backward(const T* dy, T* dx, const PadGeom& g, PadMode mode) {
#pragma omp parallel for schedule(static)
  for (int64_t pl = 0; pl < g.planes; ++pl) {
    T* dxp = dx + pl * g.H * g.W;
    const T* dyp = dy + pl * g.OH * g.OW;
    if (mode == PadMode::zero) {
      for (int64_t h = 0; h < g.H; ++h)
        std::copy(dyp + (h + g.top) * g.OW + g.left, dyp + (h + g.top) * g.OW + g.left + g.W,
                  dxp + h * g.W);
      continue;
    }
    std::fill(dxp, dxp + g.H * g.W, T(0));
    for (int64_t i = 0; i < g.OH; ++i) {
      T* dst = dxp + reflect_index(i - g.top, g.H) * g.W;
      const T* row = dyp + i * g.OW;
      for (int64_t j = 0; j < g.OW; ++j) dst[reflect_index(j - g.left, g.W)] += row[j];
    }
  }
}

}  // namespace

void pad2d_forward(ConstView x, View y, const Pad2dParams& p) {
  const PadGeom g(x, y, p);
  COHORT_DISPATCH_FLOATING(x.dtype(), "pad2d",
                           [&] { pad_forward(x.data<scalar_t>(), y.data<scalar_t>(), g, p.mode); });
}

void pad2d_backward(ConstView grad_y, View grad_x, const Pad2dParams& p) {
  const PadGeom g(grad_x, grad_y, p);
  COHORT_DISPATCH_FLOATING(grad_y.dtype(), "pad2d_backward", [&] {
    pad_backward(grad_y.data<scalar_t>(), grad_x.data<scalar_t>(), g, p.mode);
  });
}

}  // namespace cohort::cpu
