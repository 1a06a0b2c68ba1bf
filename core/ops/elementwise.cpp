#include "core/ops/elementwise.h"

#include "core/autograd.h"
#include "core/backend.h"
#include "core/kernel_views.h"
#include "core/ops/check.h"
#include "core/ops/reduce.h"
#include "kernels/common/elementwise_math.h"
#include "kernels/elementwise.h"

namespace cohort::ops {

namespace {

const char* binary_name(BinaryOp op) {
  switch (op) {
    case BinaryOp::add: return "add";
    case BinaryOp::sub: return "sub";
    case BinaryOp::mul: return "mul";
    case BinaryOp::div: return "div";
    case BinaryOp::rsub: return "rsub";
    case BinaryOp::rdiv: return "rdiv";
    case BinaryOp::maximum: return "maximum";
    case BinaryOp::minimum: return "minimum";
    case BinaryOp::ge: return "ge";
  }
  return "binary";
}

const char* unary_name(UnaryOp op) {
  switch (op) {
    case UnaryOp::neg: return "neg";
    case UnaryOp::exp: return "exp";
    case UnaryOp::log: return "log";
    case UnaryOp::sqrt: return "sqrt";
    case UnaryOp::pow: return "pow";
    case UnaryOp::relu: return "relu";
    case UnaryOp::sigmoid: return "sigmoid";
    case UnaryOp::tanh: return "tanh";
    case UnaryOp::abs: return "abs";
  }
  return "unary";
}

Tensor binary_forward(BinaryOp op, const Tensor& a, const Tensor& b) {
  const char* name = binary_name(op);
  check_defined(name, a, "a");
  check_defined(name, b, "b");
  check_same_device(name, a, b);
  check_same_dtype(name, a, b);
  check_floating(name, a);
  Tensor out = Tensor::empty(broadcast_shapes(name, a.shape(), b.shape()), a.dtype(), a.device());
  COHORT_DISPATCH(a.device(), binary, op, view_of(a), view_of(b), mutable_view_of(out));
  return out;
}

Tensor binary_op(BinaryOp op, const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(op, a, b);
  if (!autograd::needs_grad({&a, &b})) return out;
  // Each backward reduces the broadcast gradient back to its input's shape (sum_to).
  autograd::BackwardFn fn;
  switch (op) {
    // add and sub need only the shapes: keeping the inputs alive until backward would hold, e.g.,
    // a residual block's last BatchNorm output for nothing.
    case BinaryOp::add:
      fn = [sa = a.shape(), sb = b.shape()](const Tensor& g) -> std::vector<Tensor> {
        return {sum_to(g, sa), sum_to(g, sb)};
      };
      break;
    case BinaryOp::sub:
      fn = [sa = a.shape(), sb = b.shape(), rb = b.requires_grad()](const Tensor& g) -> std::vector<Tensor> {
        return {sum_to(g, sa), rb ? sum_to(neg(g), sb) : Tensor()};
      };
      break;
    case BinaryOp::mul:
      fn = [a = a.detach(), b = b.detach(), ra = a.requires_grad(), rb = b.requires_grad()](
               const Tensor& g) -> std::vector<Tensor> {
        return {ra ? sum_to(mul(g, b), a.shape()) : Tensor(),
                rb ? sum_to(mul(g, a), b.shape()) : Tensor()};
      };
      break;
    case BinaryOp::div:
      // d(a/b)/da = 1/b, d(a/b)/db = -a/b².
      fn = [a = a.detach(), b = b.detach(), ra = a.requires_grad(), rb = b.requires_grad()](
               const Tensor& g) -> std::vector<Tensor> {
        return {ra ? sum_to(div(g, b), a.shape()) : Tensor(),
                rb ? sum_to(neg(div(mul(g, a), mul(b, b))), b.shape()) : Tensor()};
      };
      break;
    case BinaryOp::maximum:
      // Ties send the gradient to a (a >= b), as a subgradient choice.
      fn = [a = a.detach(), b = b.detach()](const Tensor& g) -> std::vector<Tensor> {
        Tensor a_wins = binary_forward(BinaryOp::ge, a, b);  // 1 where a >= b, else 0
        Tensor b_wins = rsub(a_wins, 1.0);
        return {sum_to(mul(g, a_wins), a.shape()), sum_to(mul(g, b_wins), b.shape())};
      };
      break;
    default:
      COHORT_FAIL("{}: no autograd rule", binary_name(op));
  }
  autograd::record(out, binary_name(op), {a, b}, std::move(fn));
  return out;
}

Tensor scalar_op(BinaryOp op, const Tensor& a, double s) {
  const char* name = binary_name(op);
  check_defined(name, a, "a");
  check_floating(name, a);
  Tensor out = Tensor::empty(a.shape(), a.dtype(), a.device());
  COHORT_DISPATCH(a.device(), binary_scalar, op, view_of(a), s, mutable_view_of(out));
  if (!autograd::needs_grad({&a})) return out;
  autograd::BackwardFn fn;
  switch (op) {
    case BinaryOp::add: fn = [](const Tensor& g) -> std::vector<Tensor> { return {g}; }; break;
    case BinaryOp::mul: fn = [s](const Tensor& g) -> std::vector<Tensor> { return {mul(g, s)}; }; break;
    case BinaryOp::rsub: fn = [](const Tensor& g) -> std::vector<Tensor> { return {neg(g)}; }; break;
    case BinaryOp::rdiv:
      // d(s/a)/da = -s/a² = -out/a.
      fn = [a = a.detach(), y = out.detach()](const Tensor& g) -> std::vector<Tensor> {
        return {neg(div(mul(g, y), a))};
      };
      break;
    default: COHORT_FAIL("{}: no autograd rule for the scalar form", name);
  }
  autograd::record(out, name, {a}, std::move(fn));
  return out;
}

Tensor unary_op(UnaryOp op, const Tensor& a, double param = 0.0) {
  const char* name = unary_name(op);
  check_defined(name, a, "input");
  check_floating(name, a);
  Tensor out = Tensor::empty(a.shape(), a.dtype(), a.device());
  COHORT_DISPATCH(a.device(), unary, op, view_of(a), mutable_view_of(out), param);
  if (autograd::needs_grad({&a})) {
    // Saves only what the derivative reads (unary_derivative: the input, the output or neither)
    // and hands the kernel that tensor for both: ReLU keeps its output — the next layer's saved
    // input anyway — rather than also its input, a BatchNorm output nothing else needs. The saved
    // handles are detached: no reference cycle with `out`.
    const Tensor saved = math::unary_derivative_reads_output(op) ? out.detach() : a.detach();
    autograd::record(out, name, {a},
                     [op, param, saved](const Tensor& g) -> std::vector<Tensor> {
                       Tensor gx = Tensor::empty(saved.shape(), saved.dtype(), saved.device());
                       const ConstView v = view_of(saved);  // as x and as y: the derivative reads one
                       COHORT_DISPATCH(saved.device(), unary_backward, op, view_of(g), v, v, mutable_view_of(gx),
                                       param);
                       return {gx};
                     });
  }
  return out;
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::add, a, b); }
Tensor sub(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::sub, a, b); }
Tensor mul(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::mul, a, b); }
Tensor div(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::div, a, b); }
Tensor maximum(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::maximum, a, b); }
Tensor add(const Tensor& a, double s) { return scalar_op(BinaryOp::add, a, s); }
Tensor mul(const Tensor& a, double s) { return scalar_op(BinaryOp::mul, a, s); }
Tensor rsub(const Tensor& a, double s) { return scalar_op(BinaryOp::rsub, a, s); }
Tensor rdiv(const Tensor& a, double s) { return scalar_op(BinaryOp::rdiv, a, s); }

Tensor neg(const Tensor& a) { return unary_op(UnaryOp::neg, a); }
Tensor exp(const Tensor& a) { return unary_op(UnaryOp::exp, a); }
Tensor log(const Tensor& a) { return unary_op(UnaryOp::log, a); }
Tensor sqrt(const Tensor& a) { return unary_op(UnaryOp::sqrt, a); }
Tensor pow(const Tensor& a, double exponent) { return unary_op(UnaryOp::pow, a, exponent); }
Tensor relu(const Tensor& a) { return unary_op(UnaryOp::relu, a); }
Tensor sigmoid(const Tensor& a) { return unary_op(UnaryOp::sigmoid, a); }
Tensor tanh(const Tensor& a) { return unary_op(UnaryOp::tanh, a); }
Tensor abs(const Tensor& a) { return unary_op(UnaryOp::abs, a); }
Tensor square(const Tensor& a) { return unary_op(UnaryOp::pow, a, 2.0); }

void add_(Tensor& y, const Tensor& x, double alpha) {
  check_same_device("add_", y, x);
  check_same_dtype("add_", y, x);
  COHORT_CHECK(y.shape() == x.shape(), "add_: shapes {} and {} differ", shape_str(y.shape()),
               shape_str(x.shape()));
  COHORT_DISPATCH(y.device(), axpy_, mutable_view_of(y), alpha, view_of(x));
}

void mul_(Tensor& y, double alpha) { COHORT_DISPATCH(y.device(), scale_, mutable_view_of(y), alpha); }

}  // namespace cohort::ops

namespace cohort {

Tensor operator+(const Tensor& a, const Tensor& b) { return ops::add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return ops::sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return ops::mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return ops::div(a, b); }
Tensor operator+(const Tensor& a, double b) { return ops::add(a, b); }
Tensor operator-(const Tensor& a, double b) { return ops::add(a, -b); }
Tensor operator*(const Tensor& a, double b) { return ops::mul(a, b); }
Tensor operator/(const Tensor& a, double b) { return ops::mul(a, 1.0 / b); }
Tensor operator+(double a, const Tensor& b) { return ops::add(b, a); }
Tensor operator-(double a, const Tensor& b) { return ops::rsub(b, a); }
Tensor operator*(double a, const Tensor& b) { return ops::mul(b, a); }
Tensor operator-(const Tensor& a) { return ops::neg(a); }

}  // namespace cohort
