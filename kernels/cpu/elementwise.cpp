// CPU elementwise kernels: straightforward loops, written for clarity. The op (add, relu, ...) is
// loop-invariant, so it is switched on once and each loop is compiled for a constant op — which
// the compiler vectorises (a switch per element made ReLU's backward cost as much as a
// convolution in a ResNet-32 step); large same-shape loops are split over the OpenMP threads.
// Broadcasting walks the output with per-input strides (0 on broadcast dims).
#include "kernels/elementwise.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "kernels/common/elementwise_math.h"
#include "kernels/common/philox.h"

namespace cohort::cpu {

namespace {

// Per-input element strides of `in` when broadcast to `out` (0 where `in` has size 1 / is absent).
std::vector<int64_t> broadcast_strides(const Dims& in, const Dims& out) {
  std::vector<int64_t> strides(out.size(), 0);
  int64_t stride = 1;
  for (size_t k = 0; k < in.size(); ++k) {
    size_t i = in.size() - 1 - k, o = out.size() - 1 - k;
    strides[o] = in[i] == 1 ? 0 : stride;
    stride *= in[i];
  }
  return strides;
}

// Calls f(out_index, a_index, b_index) for every output element, walking the innermost dim
// as a contiguous run so the common per-channel case stays a tight loop.
template <typename F>
void for_each_broadcast(const Dims& a_shape, const Dims& b_shape, const Dims& out_shape, F f) {
  const int64_t n = out_shape.numel();
  if (n == 0) return;
  const size_t rank = out_shape.size();
  if (rank == 0) {
    f(0, 0, 0);
    return;
  }
  std::vector<int64_t> sa = broadcast_strides(a_shape, out_shape);
  std::vector<int64_t> sb = broadcast_strides(b_shape, out_shape);
  const int64_t inner = out_shape[rank - 1];
  const int64_t ia = sa[rank - 1], ib = sb[rank - 1];
  std::vector<int64_t> idx(rank, 0);
  int64_t offa = 0, offb = 0;
  for (int64_t o = 0; o < n; o += inner) {
    for (int64_t j = 0; j < inner; ++j) f(o + j, offa + j * ia, offb + j * ib);
    // Advance the multi-index over the outer dims.
    for (int64_t d = static_cast<int64_t>(rank) - 2; d >= 0; --d) {
      size_t du = static_cast<size_t>(d);
      ++idx[du];
      offa += sa[du];
      offb += sb[du];
      if (idx[du] < out_shape[du]) break;
      offa -= sa[du] * idx[du];
      offb -= sb[du] * idx[du];
      idx[du] = 0;
    }
  }
}

// Calls fn(std::integral_constant<Enum, op>{}) for the runtime `op`, so that fn's body is
// instantiated once per op with the op as a compile-time constant.
template <typename Fn>
void with_binary_op(BinaryOp op, Fn&& fn) {
  using B = BinaryOp;
  switch (op) {
    case B::add: return fn(std::integral_constant<B, B::add>{});
    case B::sub: return fn(std::integral_constant<B, B::sub>{});
    case B::mul: return fn(std::integral_constant<B, B::mul>{});
    case B::div: return fn(std::integral_constant<B, B::div>{});
    case B::rsub: return fn(std::integral_constant<B, B::rsub>{});
    case B::rdiv: return fn(std::integral_constant<B, B::rdiv>{});
    case B::maximum: return fn(std::integral_constant<B, B::maximum>{});
    case B::minimum: return fn(std::integral_constant<B, B::minimum>{});
    case B::ge: return fn(std::integral_constant<B, B::ge>{});
  }
}

template <typename Fn>
void with_unary_op(UnaryOp op, Fn&& fn) {
  using U = UnaryOp;
  switch (op) {
    case U::neg: return fn(std::integral_constant<U, U::neg>{});
    case U::exp: return fn(std::integral_constant<U, U::exp>{});
    case U::log: return fn(std::integral_constant<U, U::log>{});
    case U::sqrt: return fn(std::integral_constant<U, U::sqrt>{});
    case U::pow: return fn(std::integral_constant<U, U::pow>{});
    case U::relu: return fn(std::integral_constant<U, U::relu>{});
    case U::sigmoid: return fn(std::integral_constant<U, U::sigmoid>{});
    case U::tanh: return fn(std::integral_constant<U, U::tanh>{});
    case U::abs: return fn(std::integral_constant<U, U::abs>{});
  }
}

// f(i) for i in [0, n): split over the threads when there is enough work to pay for a region.
template <typename F>
void parallel_for(int64_t n, F f) {
#pragma omp parallel for schedule(static) if (n >= (int64_t{1} << 16))
  for (int64_t i = 0; i < n; ++i) f(i);
}

}  // namespace

void binary(BinaryOp op, ConstView a, ConstView b, View out) {
  COHORT_DISPATCH_FLOATING(out.dtype(), "binary", [&] {
    const scalar_t* pa = a.data<scalar_t>();
    const scalar_t* pb = b.data<scalar_t>();
    scalar_t* po = out.data<scalar_t>();
    const int64_t n = out.numel();
    with_binary_op(op, [&](auto c) {
      constexpr BinaryOp k = decltype(c)::value;
      if (a.shape() == b.shape()) {
        parallel_for(n, [&](int64_t i) { po[i] = math::binary_apply(k, pa[i], pb[i]); });
      } else if (b.numel() == 1 && a.numel() == n) {
        const scalar_t s = pb[0];
        parallel_for(n, [&](int64_t i) { po[i] = math::binary_apply(k, pa[i], s); });
      } else {
        for_each_broadcast(a.shape(), b.shape(), out.shape(), [&](int64_t o, int64_t ia, int64_t ib) {
          po[o] = math::binary_apply(k, pa[ia], pb[ib]);
        });
      }
    });
  });
}

void binary_scalar(BinaryOp op, ConstView a, double s, View out) {
  COHORT_DISPATCH_FLOATING(out.dtype(), "binary_scalar", [&] {
    const scalar_t* pa = a.data<scalar_t>();
    scalar_t* po = out.data<scalar_t>();
    const scalar_t sv = static_cast<scalar_t>(s);
    with_binary_op(op, [&](auto c) {
      parallel_for(out.numel(), [&](int64_t i) { po[i] = math::binary_apply(decltype(c)::value, pa[i], sv); });
    });
  });
}

void unary(UnaryOp op, ConstView a, View out, double param) {
  COHORT_DISPATCH_FLOATING(out.dtype(), "unary", [&] {
    const scalar_t* pa = a.data<scalar_t>();
    scalar_t* po = out.data<scalar_t>();
    const scalar_t p = static_cast<scalar_t>(param);
    with_unary_op(op, [&](auto c) {
      parallel_for(out.numel(), [&](int64_t i) { po[i] = math::unary_forward(decltype(c)::value, pa[i], p); });
    });
  });
}

void unary_backward(UnaryOp op, ConstView grad_out, ConstView x, ConstView y,
                    View grad_in, double param) {
  COHORT_DISPATCH_FLOATING(grad_in.dtype(), "unary_backward", [&] {
    const scalar_t* pg = grad_out.data<scalar_t>();
    const scalar_t* px = x.data<scalar_t>();
    const scalar_t* py = y.data<scalar_t>();
    scalar_t* pgi = grad_in.data<scalar_t>();
    const scalar_t p = static_cast<scalar_t>(param);
    with_unary_op(op, [&](auto c) {
      parallel_for(grad_in.numel(), [&](int64_t i) {
        pgi[i] = pg[i] * math::unary_derivative(decltype(c)::value, px[i], py[i], p);
      });
    });
  });
}

void axpy_(View y, double alpha, ConstView x) {
  COHORT_DISPATCH_FLOATING(y.dtype(), "axpy_", [&] {
    scalar_t* py = y.data<scalar_t>();
    const scalar_t* px = x.data<scalar_t>();
    const scalar_t al = static_cast<scalar_t>(alpha);
    for (int64_t i = 0, n = y.numel(); i < n; ++i) py[i] += al * px[i];
  });
}

void scale_(View y, double alpha) {
  COHORT_DISPATCH_FLOATING(y.dtype(), "scale_", [&] {
    scalar_t* py = y.data<scalar_t>();
    const scalar_t al = static_cast<scalar_t>(alpha);
    for (int64_t i = 0, n = y.numel(); i < n; ++i) py[i] *= al;
  });
}

void broadcast_copy(ConstView in, View out) {
  COHORT_DISPATCH_ALL(out.dtype(), "broadcast_copy", [&] {
    const scalar_t* pi = in.data<scalar_t>();
    scalar_t* po = out.data<scalar_t>();
    for_each_broadcast(in.shape(), in.shape(), out.shape(),
                       [&](int64_t o, int64_t i, int64_t) { po[o] = pi[i]; });
  });
}

void fill(View t, double value) {
  COHORT_DISPATCH_ALL(t.dtype(), "fill", [&] {
    scalar_t* p = t.data<scalar_t>();
    std::fill(p, p + t.numel(), static_cast<scalar_t>(value));
  });
}

void cast(ConstView src, View dst) {
  COHORT_DISPATCH_ALL(src.dtype(), "cast", [&] {
    using src_t = scalar_t;
    const src_t* ps = src.data<src_t>();
    COHORT_DISPATCH_ALL(dst.dtype(), "cast", [&] {
      scalar_t* pd = dst.data<scalar_t>();
      for (int64_t i = 0, n = dst.numel(); i < n; ++i) pd[i] = static_cast<scalar_t>(ps[i]);
    });
  });
}

void uniform_fill(View t, uint64_t seed, uint64_t offset, double low, double high) {
  COHORT_DISPATCH_FLOATING(t.dtype(), "uniform_", [&] {
    scalar_t* p = t.data<scalar_t>();
    const scalar_t lo = static_cast<scalar_t>(low), span = static_cast<scalar_t>(high - low);
    for (int64_t i = 0, n = t.numel(); i < n; ++i)
      p[i] = lo + span * philox::uniform<scalar_t>(seed, offset, static_cast<uint64_t>(i));
  });
}

void normal_fill(View t, uint64_t seed, uint64_t offset, double mean, double std) {
  COHORT_DISPATCH_FLOATING(t.dtype(), "normal_", [&] {
    scalar_t* p = t.data<scalar_t>();
    const scalar_t m = static_cast<scalar_t>(mean), s = static_cast<scalar_t>(std);
    for (int64_t i = 0, n = t.numel(); i < n; ++i)
      p[i] = m + s * philox::normal<scalar_t>(seed, offset, static_cast<uint64_t>(i));
  });
}

void bernoulli_fill(View t, uint64_t seed, uint64_t offset, double p) {
  COHORT_DISPATCH_FLOATING(t.dtype(), "bernoulli", [&] {
    scalar_t* out = t.data<scalar_t>();
    const float pf = static_cast<float>(p);
    for (int64_t i = 0, n = t.numel(); i < n; ++i)
      out[i] = philox::uniform_f32(seed, offset, static_cast<uint64_t>(i)) < pf ? scalar_t(1) : scalar_t(0);
  });
}

}  // namespace cohort::cpu
