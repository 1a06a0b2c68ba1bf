// Helpers of the CUDA parity tests: run an op on CPU copies and on CUDA copies
// of the same inputs, compare the outputs, then seed backward with the same random gradient on
// both devices and compare every input gradient — all under the suite's one tolerance rule
// (tests/support/tolerance.h). Header-only: tests/CMakeLists.txt compiles tests/cuda/test_*.cpp.
#pragma once

#include <catch2/catch.hpp>
#include <functional>
#include <vector>

#include "core/cuda_info.h"
#include "core/random.h"
#include "core/tensor.h"
#include "tests/support/tolerance.h"

namespace cohort::test {

inline constexpr Device kGpu = Device::cuda(0);
inline constexpr Device kCpu = Device::cpu();

struct Tol {
  double atol, rtol;
};

// Defaults for ops whose CPU and CUDA versions differ only in summation order, FMA contraction
// and the last ulp of libm functions.
inline Tol default_tol(DType t) { return t == DType::f64 ? Tol{1e-12, 1e-10} : Tol{1e-5, 1e-4}; }

// N(0,1) values from a fresh generator: the same numbers on every run and device.
inline Tensor randn(const Shape& shape, DType dtype, uint64_t seed) {
  Generator gen(seed);
  return Tensor::randn(shape, gen, dtype);
}

// Leaf copies of `t` on `device` (a fresh leaf even on the CPU, so gradients never accumulate
// across calls), requiring grad when `t` does.
inline Tensor leaf_copy(const Tensor& t, Device device) {
  Tensor c = device.is_cpu() ? t.detach().clone() : t.detach().to(device);
  if (t.requires_grad()) c.requires_grad_();
  return c;
}

inline std::vector<Tensor> leaf_copies(const std::vector<Tensor>& ts, Device device) {
  std::vector<Tensor> out;
  for (const Tensor& t : ts) out.push_back(leaf_copy(t, device));
  return out;
}

// The CUDA tensor brought back for comparison; also checks it really lives on the GPU.
inline Tensor from_gpu(const Tensor& t) {
  REQUIRE(t.defined());
  REQUIRE(t.device() == kGpu);
  return t.detach().to(kCpu);
}

using OpFn = std::function<Tensor(const std::vector<Tensor>& inputs)>;

// f on CPU and CUDA copies of `inputs` (inputs that require grad are leaves on both sides):
// outputs within `fwd`; then out.backward(R) with the same random R on both devices, and the
// gradient of every input that requires grad within `bwd`.
inline void check_parity(const OpFn& f, const std::vector<Tensor>& inputs, Tol fwd, Tol bwd,
                         uint64_t seed = 4242) {
  std::vector<Tensor> cpu_in = leaf_copies(inputs, kCpu), gpu_in = leaf_copies(inputs, kGpu);
  Tensor out_cpu = f(cpu_in);
  Tensor out_gpu = f(gpu_in);
  REQUIRE(out_gpu.dtype() == out_cpu.dtype());
  {
    INFO("forward output " << shape_str(out_cpu.shape()) << " " << dtype_name(out_cpu.dtype()));
    REQUIRE_CLOSE(from_gpu(out_gpu), out_cpu, fwd.atol, fwd.rtol);
  }
  REQUIRE(out_gpu.requires_grad() == out_cpu.requires_grad());
  if (!out_cpu.requires_grad()) return;
  Tensor r = randn(out_cpu.shape(), out_cpu.dtype(), seed);
  out_cpu.backward(r);
  out_gpu.backward(r.to(kGpu));
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].requires_grad()) continue;
    INFO("gradient of input " << i << " " << shape_str(inputs[i].shape()));
    REQUIRE(cpu_in[i].grad().defined());
    REQUIRE_CLOSE(from_gpu(gpu_in[i].grad()), cpu_in[i].grad(), bwd.atol, bwd.rtol);
  }
}

inline void check_parity(const OpFn& f, const std::vector<Tensor>& inputs, Tol tol) {
  check_parity(f, inputs, tol, tol);
}

// Sets the TF32 policy for a scope and restores the previous one (f32 parity tests run with
// TF32 off: TF32 rounds operands to 10 mantissa bits, far outside f32 tolerances).
class Tf32Guard {
 public:
  Tf32Guard(bool conv, bool matmul)
      : conv_(cuda_allow_tf32_conv()), matmul_(cuda_allow_tf32_matmul()) {
    cuda_set_allow_tf32_conv(conv);
    cuda_set_allow_tf32_matmul(matmul);
  }
  ~Tf32Guard() {
    cuda_set_allow_tf32_conv(conv_);
    cuda_set_allow_tf32_matmul(matmul_);
  }
  Tf32Guard(const Tf32Guard&) = delete;
  Tf32Guard& operator=(const Tf32Guard&) = delete;

 private:
  bool conv_, matmul_;
};

}  // namespace cohort::test
