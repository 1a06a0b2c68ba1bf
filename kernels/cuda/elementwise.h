// CUDA elementwise kernels: the declarations of kernels/cpu/elementwise.h in namespace
// cohort::cuda, with the same contracts (contiguous tensors, preallocated outputs, numpy
// broadcasting, `_` functions in place). Everything is queued on the tensors' device's current
// stream; nothing synchronises. The Philox fills give the CPU's numbers for the same seed and
// offset (uniform and bernoulli bit for bit; normal within the last ulp of log/sin/cos).
#pragma once

#include <cstdint>

#include "core/tensor.h"
#include "kernels/common/op_enums.h"

namespace cohort::cuda {

void binary(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out);
void binary_scalar(BinaryOp op, const Tensor& a, double s, Tensor& out);
void unary(UnaryOp op, const Tensor& a, Tensor& out, double param);
void unary_backward(UnaryOp op, const Tensor& grad_out, const Tensor& x, const Tensor& y,
                    Tensor& grad_in, double param);
void axpy_(Tensor& y, double alpha, const Tensor& x);
void scale_(Tensor& y, double alpha);
void broadcast_copy(const Tensor& in, Tensor& out);
void fill(Tensor& t, double value);
void cast(const Tensor& src, Tensor& dst);
void uniform_fill(Tensor& t, uint64_t seed, uint64_t offset, double low, double high);
void normal_fill(Tensor& t, uint64_t seed, uint64_t offset, double mean, double std);
void bernoulli_fill(Tensor& t, uint64_t seed, uint64_t offset, double p);

}  // namespace cohort::cuda
