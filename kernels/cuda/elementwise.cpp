// View-facing wrappers of the CUDA elementwise kernels (elementwise.cu): dtype dispatch,
// broadcast geometry, and the choice between the same-shape, scalar and broadcast kernels.
#include "kernels/elementwise.h"

#include "kernels/cuda/elementwise_kernels.cuh"
#include "kernels/cuda/tensor_util.h"

namespace cohort::cuda {

namespace {

// Per-input strides of `in` broadcast to `out` (0 where in has size 1 or lacks the dim).
std::vector<int64_t> broadcast_strides(const Dims& in, const Dims& out) {
  std::vector<int64_t> strides(out.size(), 0);
  int64_t stride = 1;
  for (size_t k = 0; k < in.size(); ++k) {
    const size_t i = in.size() - 1 - k, o = out.size() - 1 - k;
    strides[o] = in[i] == 1 ? 0 : stride;
    stride *= in[i];
  }
  return strides;
}

// The broadcast of a and b to out, with size-1 dims dropped and neighbouring dims merged when
// both inputs walk them as one (stride[d] == stride[d+1]·size[d+1] for each input): a per-channel
// op on [N,C,H,W] becomes 3 dims, a bias add on [N,K] 2.
kern::BroadcastGeom make_geom(const Dims& a, const Dims& b, const Dims& out) {
  const std::vector<int64_t> sa = broadcast_strides(a, out), sb = broadcast_strides(b, out);
  std::vector<int64_t> sizes, ra, rb;
  for (size_t d = 0; d < out.size(); ++d) {
    if (out[d] == 1) continue;
    if (!sizes.empty() && ra.back() == sa[d] * out[d] && rb.back() == sb[d] * out[d]) {
      sizes.back() *= out[d];
      ra.back() = sa[d];
      rb.back() = sb[d];
      continue;
    }
    sizes.push_back(out[d]);
    ra.push_back(sa[d]);
    rb.push_back(sb[d]);
  }
  COHORT_CHECK(sizes.size() <= static_cast<size_t>(kern::kMaxDims),
               "broadcast: {} dims after merging (output {}); the CUDA kernels handle at most {}",
               sizes.size(), out.str(), kern::kMaxDims);
  kern::BroadcastGeom g;
  g.rank = static_cast<int>(sizes.size());
  for (size_t d = 0; d < sizes.size(); ++d) {
    g.sizes[d] = sizes[d];
    g.stride_a[d] = ra[d];
    g.stride_b[d] = rb[d];
  }
  return g;
}

}  // namespace

void binary(BinaryOp op, ConstView a, ConstView b, View out) {
  OpScope scope(out);
  const int64_t n = out.numel();
  COHORT_DISPATCH_FLOATING(out.dtype(), "binary", [&] {
    const scalar_t* pa = a.data<scalar_t>();
    const scalar_t* pb = b.data<scalar_t>();
    scalar_t* po = out.data<scalar_t>();
    if (a.shape() == b.shape()) {
      kern::binary_same(op, pa, pb, po, n, scope.stream());
    } else if (b.numel() == 1 && a.numel() == n) {
      kern::binary_scalar_tensor(op, pa, pb, po, n, scope.stream());
    } else {
      kern::binary_broadcast(op, pa, pb, po, n, make_geom(a.shape(), b.shape(), out.shape()),
                             scope.stream());
    }
  });
}

void binary_scalar(BinaryOp op, ConstView a, double s, View out) {
  OpScope scope(out);
  COHORT_DISPATCH_FLOATING(out.dtype(), "binary_scalar", [&] {
    kern::binary_scalar(op, a.data<scalar_t>(), static_cast<scalar_t>(s), out.data<scalar_t>(),
                        out.numel(), scope.stream());
  });
}

void unary(UnaryOp op, ConstView a, View out, double param) {
  OpScope scope(out);
  COHORT_DISPATCH_FLOATING(out.dtype(), "unary", [&] {
    kern::unary(op, a.data<scalar_t>(), out.data<scalar_t>(), out.numel(),
                static_cast<scalar_t>(param), scope.stream());
  });
}

void unary_backward(UnaryOp op, ConstView grad_out, ConstView x, ConstView y,
                    View grad_in, double param) {
  OpScope scope(grad_in);
  COHORT_DISPATCH_FLOATING(grad_in.dtype(), "unary_backward", [&] {
    kern::unary_backward(op, grad_out.data<scalar_t>(), x.data<scalar_t>(), y.data<scalar_t>(),
                         grad_in.data<scalar_t>(), grad_in.numel(), static_cast<scalar_t>(param),
                         scope.stream());
  });
}

void axpy_(View y, double alpha, ConstView x) {
  OpScope scope(y);
  COHORT_DISPATCH_FLOATING(y.dtype(), "axpy_", [&] {
    kern::axpy(y.data<scalar_t>(), static_cast<scalar_t>(alpha), x.data<scalar_t>(), y.numel(),
               scope.stream());
  });
}

void scale_(View y, double alpha) {
  OpScope scope(y);
  COHORT_DISPATCH_FLOATING(y.dtype(), "scale_", [&] {
    kern::scale(y.data<scalar_t>(), static_cast<scalar_t>(alpha), y.numel(), scope.stream());
  });
}

void broadcast_copy(ConstView in, View out) {
  OpScope scope(out);
  COHORT_DISPATCH_ALL(out.dtype(), "broadcast_copy", [&] {
    kern::broadcast_copy(in.data<scalar_t>(), out.data<scalar_t>(), out.numel(),
                         make_geom(in.shape(), in.shape(), out.shape()), scope.stream());
  });
}

void fill(View t, double value) {
  OpScope scope(t);
  COHORT_DISPATCH_ALL(t.dtype(), "fill", [&] {
    kern::fill(t.data<scalar_t>(), static_cast<scalar_t>(value), t.numel(), scope.stream());
  });
}

void cast(ConstView src, View dst) {
  OpScope scope(dst);
  COHORT_DISPATCH_ALL(src.dtype(), "cast", [&] {
    using src_t = scalar_t;
    const src_t* ps = src.data<src_t>();
    COHORT_DISPATCH_ALL(dst.dtype(), "cast", [&] {
      kern::cast(ps, dst.data<scalar_t>(), dst.numel(), scope.stream());
    });
  });
}

void uniform_fill(View t, uint64_t seed, uint64_t offset, double low, double high) {
  OpScope scope(t);
  COHORT_DISPATCH_FLOATING(t.dtype(), "uniform_", [&] {
    // The CPU computes lo + span·u with both rounded to the element type first: same here.
    kern::uniform_fill(t.data<scalar_t>(), t.numel(), seed, offset, static_cast<scalar_t>(low),
                       static_cast<scalar_t>(high - low), scope.stream());
  });
}

void normal_fill(View t, uint64_t seed, uint64_t offset, double mean, double std) {
  OpScope scope(t);
  COHORT_DISPATCH_FLOATING(t.dtype(), "normal_", [&] {
    kern::normal_fill(t.data<scalar_t>(), t.numel(), seed, offset, static_cast<scalar_t>(mean),
                      static_cast<scalar_t>(std), scope.stream());
  });
}

void bernoulli_fill(View t, uint64_t seed, uint64_t offset, double p) {
  OpScope scope(t);
  COHORT_DISPATCH_FLOATING(t.dtype(), "bernoulli", [&] {
    kern::bernoulli_fill(t.data<scalar_t>(), t.numel(), seed, offset, static_cast<float>(p),
                         scope.stream());
  });
}

}  // namespace cohort::cuda
