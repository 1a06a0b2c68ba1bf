// CPU elementwise kernels. Signatures are mirrored exactly in kernels/cuda/elementwise.h.
//
// Contracts shared by every function here:
//  - tensors are contiguous; `out` is preallocated by the caller with the right shape/dtype;
//  - outputs are overwritten, except the functions ending in `_` which update in place;
//  - binary ops broadcast numpy-style (the front-end has computed out's shape).
#pragma once

#include <cstdint>

#include "core/tensor.h"
#include "kernels/common/op_enums.h"

namespace cohort {

namespace cpu {

// out = a op b, broadcasting. Floating dtypes.
void binary(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out);
// out = a op s (rsub: s - a, rdiv: s / a).
void binary_scalar(BinaryOp op, const Tensor& a, double s, Tensor& out);
// out = f(a); `param` is the exponent for pow.
void unary(UnaryOp op, const Tensor& a, Tensor& out, double param);
// grad_in = grad_out * f'(·), from the input x and/or the output y (whichever f' needs).
void unary_backward(UnaryOp op, const Tensor& grad_out, const Tensor& x, const Tensor& y,
                    Tensor& grad_in, double param);
// y += alpha * x (same shape and dtype). The accumulation primitive of autograd and optimisers.
void axpy_(Tensor& y, double alpha, const Tensor& x);
// y *= alpha.
void scale_(Tensor& y, double alpha);
// out = in broadcast to out's shape (numpy rules; the front-end checked compatibility).
void broadcast_copy(const Tensor& in, Tensor& out);
// Every element of t set to value (any dtype).
void fill(Tensor& t, double value);
// dst = src converted to dst's dtype (same shape, same device).
void cast(const Tensor& src, Tensor& dst);
// Philox fills (kernels/common/philox.h stream, starting at block `offset`).
void uniform_fill(Tensor& t, uint64_t seed, uint64_t offset, double low, double high);
void normal_fill(Tensor& t, uint64_t seed, uint64_t offset, double mean, double std);
void bernoulli_fill(Tensor& t, uint64_t seed, uint64_t offset, double p);

}  // namespace cpu
}  // namespace cohort
