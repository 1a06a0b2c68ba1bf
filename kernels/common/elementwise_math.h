// Per-element formulas of the binary and unary ops (forward and derivative), shared by CPU and CUDA.
#pragma once

#include <cmath>

#include "kernels/common/hd.h"
#include "kernels/common/op_enums.h"

namespace cohort::math {

// True exactly for NaN, on host and device (the build never enables fast-math, which would break it).
template <typename T>
COHORT_HD bool is_nan(T x) {
  return x != x;
}

// NaN propagates through every op, as in PyTorch: relu, maximum and minimum return NaN when an
// input is NaN (a bare `x > 0 ? x : 0` would turn a NaN weight or activation into 0 and hide it
// from the non-finite-loss guard). Comparisons (ge) are false for NaN, as IEEE and PyTorch say.
// a op b (rsub: b - a, rdiv: b / a; the scalar forms pass the scalar as b).
template <typename T>
COHORT_HD T binary_apply(BinaryOp op, T a, T b) {
  switch (op) {
    case BinaryOp::add: return a + b;
    case BinaryOp::sub: return a - b;
    case BinaryOp::mul: return a * b;
    case BinaryOp::div: return a / b;
    case BinaryOp::rsub: return b - a;
    case BinaryOp::rdiv: return b / a;
    case BinaryOp::maximum: return is_nan(b) ? b : (a >= b || is_nan(a) ? a : b);
    case BinaryOp::minimum: return is_nan(b) ? b : (a <= b || is_nan(a) ? a : b);
    case BinaryOp::ge: return a >= b ? T(1) : T(0);
  }
  return T(0);
}

template <typename T>
COHORT_HD T unary_forward(UnaryOp op, T x, T p) {
  switch (op) {
    case UnaryOp::neg: return -x;
    case UnaryOp::exp: return std::exp(x);
    case UnaryOp::log: return std::log(x);
    case UnaryOp::sqrt: return std::sqrt(x);
    case UnaryOp::pow: return p == T(2) ? x * x : std::pow(x, p);
    case UnaryOp::relu: return x > T(0) || is_nan(x) ? x : T(0);
    case UnaryOp::sigmoid: return T(1) / (T(1) + std::exp(-x));
    case UnaryOp::tanh: return std::tanh(x);
    case UnaryOp::abs: return x < T(0) ? -x : x;
  }
  return x;
}

// Whether unary_derivative reads the output y (exp, sqrt, sigmoid, tanh, relu) rather than the
// input x (log, pow, abs; neg reads neither): autograd saves only that one (core/ops/elementwise.cpp).
constexpr bool unary_derivative_reads_output(UnaryOp op) {
  return op == UnaryOp::exp || op == UnaryOp::sqrt || op == UnaryOp::sigmoid || op == UnaryOp::tanh ||
         op == UnaryOp::relu;
}

// f'(x), given the input x and the output y = f(x); only the argument named by
// unary_derivative_reads_output is meaningful (the other may be the same value).
template <typename T>
COHORT_HD T unary_derivative(UnaryOp op, T x, T y, T p) {
  switch (op) {
    case UnaryOp::neg: return T(-1);
    case UnaryOp::exp: return y;
    case UnaryOp::log: return T(1) / x;
    case UnaryOp::sqrt: return T(0.5) / y;
    case UnaryOp::pow: return p == T(2) ? T(2) * x : p * std::pow(x, p - T(1));
    // From the output: y <= 0 exactly where x <= 0 (y = 0 there, y = x > 0 elsewhere, NaN stays
    // NaN): 0 at the kink; NaN passes g, as PyTorch.
    case UnaryOp::relu: return y <= T(0) ? T(0) : T(1);
    case UnaryOp::sigmoid: return y * (T(1) - y);
    case UnaryOp::tanh: return T(1) - y * y;
    case UnaryOp::abs: return x > T(0) ? T(1) : (x < T(0) ? T(-1) : T(0));
  }
  return T(0);
}

}  // namespace cohort::math
