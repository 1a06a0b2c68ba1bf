// CUDA parity of the distillation losses: cross-entropy (label smoothing, ignore_index, bad
// labels), Hinton KD (teacher logits or probabilities, optional teacher gradient), the cohort
// DML mimicry term (K = 2, 3, 4, 8, every mode), FSP matrices and loss, FitNet's hint MSE.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "core/loss_kernels.h"
#include "core/ops/elementwise.h"
#include "core/ops/linalg.h"
#include "core/ops/losses.h"
#include "core/ops/nn.h"
#include "core/random.h"
#include "kernels/cuda/context.h"
#include "kernels/cuda/label_check.h"
#include "kernels/cuda/runtime.h"
#include "tests/cuda/parity.h"

using namespace cohort;
using test::check_parity;
using test::kCpu;
using test::kGpu;
using test::Tol;

namespace {

const DType kFloatTypes[] = {DType::f32, DType::f64};

// The kernel paths of the loss ops: f32 on the simple kernels (the default) and on the lab
// kernels (core/loss_kernels.h), f64 (always the simple kernels).
struct KernelPath {
  DType dtype;
  LossKernels kernels;
};
const KernelPath kPaths[] = {{DType::f32, LossKernels::simple}, {DType::f32, LossKernels::lab},
                             {DType::f64, LossKernels::simple}};
const char* kernels_name(LossKernels k) { return k == LossKernels::lab ? "lab" : "simple"; }

// Selects a path for one test case and restores the process-wide choice afterwards.
struct PathScope {
  LossKernels saved = loss_kernels();
  DType dtype;
  explicit PathScope(const KernelPath& p) : dtype(p.dtype) { set_loss_kernels(p.kernels); }
  ~PathScope() { set_loss_kernels(saved); }
};

// Row sums in double on both devices, in different orders; f32 logits of a few units.
Tol loss_tol(DType t) { return t == DType::f64 ? Tol{1e-12, 1e-10} : Tol{1e-6, 1e-5}; }

Tensor leaf(const Shape& s, DType t, uint64_t seed, double scale = 1.0) {
  return ops::mul(test::randn(s, t, seed), scale).detach().requires_grad_();
}

// Labels in [0, C); every `ignore_every`-th row (if > 0) gets `ignore`.
Tensor labels(int64_t N, int64_t C, uint64_t seed, int64_t ignore_every = 0, int64_t ignore = -100) {
  Generator gen(seed);
  std::vector<int64_t> y(static_cast<size_t>(N));
  for (int64_t n = 0; n < N; ++n)
    y[static_cast<size_t>(n)] = ignore_every > 0 && n % ignore_every == 1 ? ignore
                                                                          : static_cast<int64_t>(gen.randint(static_cast<uint64_t>(C)));
  return Tensor::from_vector(y, {N});
}

const char* mode_name(DmlMode m) {
  return m == DmlMode::average ? "average" : m == DmlMode::sum ? "sum" : "ensemble";
}

}  // namespace

TEST_CASE("CUDA cross_entropy matches the CPU: smoothing, ignore_index, sizes", "[cuda][losses][ce]") {
  for (const KernelPath& path : kPaths) {
    const PathScope scope(path);
    const DType dtype = scope.dtype;
    // C = 48, 257, 1001: softmax rows of 2, 9 and 32 per-lane elements, non-float4 lab rows.
    for (int64_t N : {int64_t{1}, int64_t{37}, int64_t{256}}) {
      for (int64_t C : {int64_t{2}, int64_t{10}, int64_t{48}, int64_t{100}, int64_t{257}, int64_t{1000}, int64_t{1001},
                        int64_t{5000}}) {
        for (double eps : {0.0, 0.1}) {
          INFO(dtype_name(dtype) << " " << kernels_name(path.kernels) << " N " << N << " C " << C
                                 << " label_smoothing " << eps);
          Tensor z = leaf({N, C}, dtype, 1, 3.0);
          ops::CrossEntropyOptions opt;
          opt.label_smoothing = eps;
          auto f = [opt](const std::vector<Tensor>& v) { return ops::cross_entropy(v[0], v[1], opt); };
          check_parity(f, {z, labels(N, C, 2)}, loss_tol(dtype));
          if (N > 1) {
            INFO("rows with the default ignore_index -100");
            check_parity(f, {z, labels(N, C, 3, 3, -100)}, loss_tol(dtype));
            INFO("a custom ignore_index inside [0, C)");
            ops::CrossEntropyOptions opt_ignore = opt;
            opt_ignore.ignore_index = C - 1;
            check_parity([opt_ignore](const std::vector<Tensor>& v) { return ops::cross_entropy(v[0], v[1], opt_ignore); },
                         {z, labels(N, C, 4, 2, C - 1)}, loss_tol(dtype));
          }
        }
      }
    }
  }
}

TEST_CASE("CUDA cross_entropy rejects out-of-range labels like the CPU, at the next synchronisation",
          "[cuda][losses][ce]") {
  Tensor z = test::randn({4, 10}, DType::f32, 5).to(kGpu);
  for (LossKernels kernels : {LossKernels::simple, LossKernels::lab}) {
    const PathScope scope(KernelPath{DType::f32, kernels});
    for (int64_t bad : {int64_t{10}, int64_t{-1}, int64_t{1000000}}) {
      INFO(kernels_name(kernels) << " label " << bad);
      Tensor y = Tensor::from_vector(std::vector<int64_t>{1, 2, bad, 3}, {4}).to(kGpu);
      Tensor loss;
      REQUIRE_NOTHROW(loss = ops::cross_entropy(z, y));  // the op does not wait for the flag
      REQUIRE_THROWS_WITH(loss.item(), Catch::Contains("cross_entropy") && Catch::Contains(std::to_string(bad)) &&
                                           Catch::Contains("row 2"));
      REQUIRE_THROWS_AS(ops::cross_entropy(z, y).item(), ValueError);
      REQUIRE(cuda::pending_label_checks() == 0);
    }
  }
  // The device stays usable after the error (the flag read-back is an ordinary copy).
  Tensor y = Tensor::from_vector(std::vector<int64_t>{1, 2, 9, 3}, {4}).to(kGpu);
  REQUIRE(std::isfinite(ops::cross_entropy(z, y).item()));
}

TEST_CASE("CUDA cross_entropy does not synchronise with the host", "[cuda][losses][ce][timing]") {
  // A long f64 matmul first: if cross_entropy waited for its flag, the stream would be idle
  // when it returns.
  Tensor a = test::randn({4096, 4096}, DType::f64, 6).to(kGpu);
  Tensor z = test::randn({256, 100}, DType::f32, 7).to(kGpu);
  Tensor y = Tensor::from_vector(std::vector<int64_t>(256, 3), {256}).to(kGpu);
  cuda::synchronize(0);
  for (LossKernels kernels : {LossKernels::simple, LossKernels::lab}) {
    INFO(kernels_name(kernels));
    const PathScope scope(KernelPath{DType::f32, kernels});
    Tensor busy = ops::matmul(ops::matmul(a, a), a);  // ~275 GFLOP in f64: milliseconds on any GPU
    Tensor loss = ops::cross_entropy(z, y);
    REQUIRE(cudaStreamQuery(cuda::current_stream(0)) == cudaErrorNotReady);
    REQUIRE(cuda::pending_label_checks() >= 1);
    REQUIRE(std::isfinite(loss.item()));
    REQUIRE(cuda::pending_label_checks() == 0);
  }
}

TEST_CASE("CUDA kd_kl matches the CPU: teacher logits or probabilities, teacher gradients",
          "[cuda][losses][kd]") {
  for (const KernelPath& path : kPaths) {
    const PathScope scope(path);
    const DType dtype = scope.dtype;
    for (int64_t C : {int64_t{10}, int64_t{48}, int64_t{100}, int64_t{257}, int64_t{1000}, int64_t{1001}, int64_t{5000}}) {
      for (double T : {1.0, 4.0}) {
        INFO(dtype_name(dtype) << " " << kernels_name(path.kernels) << " C " << C << " T " << T);
        const int64_t N = 33;
        Tensor s = leaf({N, C}, dtype, 10, 2.0);
        Tensor t_logits = test::randn({N, C}, dtype, 11);
        Tensor t_probs = ops::softmax(ops::mul(test::randn({N, C}, dtype, 12), 2.0)).detach();
        for (bool probs : {false, true}) {
          for (bool teacher_grad : {false, true}) {
            INFO("teacher_is_probs " << probs << " teacher_requires_grad " << teacher_grad);
            ops::KdOptions opt;
            opt.teacher_is_probs = probs;
            opt.teacher_requires_grad = teacher_grad;
            Tensor t = (probs ? t_probs : t_logits).detach().clone();
            if (teacher_grad) t.requires_grad_();
            check_parity([T, opt](const std::vector<Tensor>& v) { return ops::kd_kl(v[0], v[1], T, opt); }, {s, t},
                         loss_tol(dtype));
          }
        }
      }
    }
  }
}

TEST_CASE("CUDA dml_mimicry matches the CPU for K = 2, 3, 4, 8 and every mode", "[cuda][losses][dml]") {
  for (const KernelPath& path : kPaths) {
    const PathScope scope(path);
    const DType dtype = scope.dtype;
    for (int K : {2, 3, 4, 8}) {
      for (DmlMode mode : {DmlMode::average, DmlMode::sum, DmlMode::ensemble}) {
        for (double T : {1.0, 3.0}) {
          INFO(dtype_name(dtype) << " " << kernels_name(path.kernels) << " K " << K << " mode " << mode_name(mode)
                                 << " T " << T);
          std::vector<Tensor> z;
          for (int k = 0; k < K; ++k) z.push_back(leaf({40, 100}, dtype, 20 + static_cast<uint64_t>(k), 2.0));
          ops::DmlOptions opt;
          opt.mode = mode;
          auto f = [T, opt](const std::vector<Tensor>& v) { return ops::dml_mimicry(v, T, opt); };
          check_parity(f, z, loss_tol(dtype));
          // A detached student gets no gradient; the others are unchanged.
          z[1] = z[1].detach();
          check_parity(f, z, loss_tol(dtype));
        }
      }
    }
    // Wide rows (the block loops run several times).
    check_parity([](const std::vector<Tensor>& v) { return ops::dml_mimicry(v, 2.0); },
                 {leaf({7, 5000}, dtype, 30), leaf({7, 5000}, dtype, 31), leaf({7, 5000}, dtype, 32)},
                 loss_tol(dtype));
  }
  // More students than the CUDA kernel holds: an error naming the limit (the CPU has none).
  std::vector<Tensor> nine;
  for (int k = 0; k < 9; ++k) nine.push_back(test::randn({2, 5}, DType::f32, 40 + static_cast<uint64_t>(k)).to(kGpu));
  REQUIRE_THROWS_WITH(ops::dml_mimicry(nine, 1.0), Catch::Contains("dml_mimicry") && Catch::Contains("8"));
}

TEST_CASE("CUDA fsp_matrix and fsp_loss match the CPU, forward and backward", "[cuda][losses][fsp]") {
  test::Tf32Guard fp32(true, false);  // the FSP GEMMs in full f32
  for (DType dtype : kFloatTypes) {
    const Tol tol = dtype == DType::f64 ? Tol{1e-12, 1e-10} : Tol{1e-5, 1e-4};
    INFO(dtype_name(dtype));
    // G [B, m, n] = F1·F2ᵀ/(hw): stage input and output of a CIFAR ResNet, and odd sizes.
    check_parity([](const std::vector<Tensor>& v) { return ops::fsp_matrix(v[0], v[1]); },
                 {leaf({8, 16, 32, 32}, dtype, 50), leaf({8, 16, 32, 32}, dtype, 51)}, tol);
    check_parity([](const std::vector<Tensor>& v) { return ops::fsp_matrix(v[0], v[1]); },
                 {leaf({3, 5, 7, 9}, dtype, 52), leaf({3, 11, 7, 9}, dtype, 53)}, tol);
    // The loss, with a constant teacher and with a teacher that also learns.
    for (bool teacher_grad : {false, true}) {
      INFO("teacher requires grad " << teacher_grad);
      Tensor gs = leaf({4, 16, 32}, dtype, 54);
      Tensor gt = teacher_grad ? leaf({4, 16, 32}, dtype, 55) : test::randn({4, 16, 32}, dtype, 55);
      check_parity([](const std::vector<Tensor>& v) { return ops::fsp_loss(v[0], v[1], 0.7); }, {gs, gt}, tol);
    }
    // End to end: the loss between a student's and a teacher's FSP matrices.
    check_parity(
        [](const std::vector<Tensor>& v) {
          return ops::fsp_loss(ops::fsp_matrix(v[0], v[1]), ops::fsp_matrix(v[2], v[3]), 1.0);
        },
        {leaf({4, 8, 16, 16}, dtype, 56), leaf({4, 16, 16, 16}, dtype, 57), test::randn({4, 8, 16, 16}, dtype, 58),
         test::randn({4, 16, 16, 16}, dtype, 59)},
        tol);
  }
}

TEST_CASE("CUDA hint_mse matches the CPU", "[cuda][losses][fitnet]") {
  for (DType dtype : kFloatTypes) {
    INFO(dtype_name(dtype));
    check_parity([](const std::vector<Tensor>& v) { return ops::hint_mse(v[0], v[1]); },
                 {leaf({8, 32, 16, 16}, dtype, 60), leaf({8, 32, 16, 16}, dtype, 61)}, loss_tol(dtype));
  }
}
