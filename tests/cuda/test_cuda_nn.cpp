// CUDA parity of the NCHW network ops: softmax/log_softmax (warp- and block-per-row paths),
// conv2d through cuDNN (strides, padding, dilation, groups, depthwise), batch norm (train with
// running statistics, eval), max/avg/global pooling, zero/reflect padding, channel concat and
// dropout (the same Philox mask on both devices).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/cuda_info.h"
#include "core/ops/elementwise.h"
#include "core/ops/nn.h"
#include "core/ops/reduce.h"
#include "core/random.h"
#include "kernels/cuda/context.h"
#include "tests/cuda/parity.h"
#include "tests/support/conv_params.h"

using namespace cohort;
using test::check_parity;
using test::conv_params;
using test::kCpu;
using test::kGpu;
using test::Tol;

namespace {

const DType kFloatTypes[] = {DType::f32, DType::f64};

Tensor leaf(const Shape& s, DType t, uint64_t seed) { return test::randn(s, t, seed).requires_grad_(); }

}  // namespace

// ---- softmax ---------------------------------------------------------------------------------

TEST_CASE("CUDA softmax and log_softmax match the CPU on both row paths", "[cuda][nn][softmax]") {
  // C <= 1024: warp per row (one register array per lane); C > 1024: block per row. 48, 257 and
  // 1001 give per-lane arrays of 2, 16 and 32 with a partly filled last slot.
  const int64_t widths[] = {1, 7, 32, 48, 100, 257, 1000, 1001, 1024, 1025, 5000};
  for (DType dtype : kFloatTypes) {
    const Tol tol = dtype == DType::f64 ? Tol{1e-14, 1e-12} : Tol{1e-6, 1e-5};
    for (int64_t C : widths) {
      for (int64_t rows : {int64_t{1}, int64_t{13}, int64_t{256}}) {  // 13: not a multiple of 8 warps
        INFO(dtype_name(dtype) << " rows " << rows << " C " << C);
        Tensor x = leaf({rows, C}, dtype, 1);
        check_parity([](const std::vector<Tensor>& v) { return ops::softmax(v[0]); }, {x}, tol);
        check_parity([](const std::vector<Tensor>& v) { return ops::log_softmax(v[0]); }, {x}, tol);
        // Large logits (temperature-free teachers): the max subtraction keeps both finite.
        check_parity([](const std::vector<Tensor>& v) { return ops::log_softmax(ops::mul(v[0], 80.0)); },
                     {x}, dtype == DType::f64 ? Tol{1e-11, 1e-12} : Tol{2e-4, 1e-5});
      }
    }
    // Rows of a 3-D tensor.
    check_parity([](const std::vector<Tensor>& v) { return ops::softmax(v[0]); }, {leaf({2, 3, 1500}, dtype, 2)},
                 tol);
  }
}

// ---- conv2d ----------------------------------------------------------------------------------

namespace {

struct ConvCase {
  std::string name;
  Shape x, w;
  Conv2dParams p;
  bool bias;
};

std::vector<ConvCase> conv_cases() {
  Conv2dParams odd;  // non-square everything
  odd.stride_h = 2, odd.stride_w = 1, odd.pad_h = 0, odd.pad_w = 2, odd.dilation_h = 1, odd.dilation_w = 2;
  return {
      {"3x3 pad 1", {4, 16, 12, 12}, {32, 16, 3, 3}, conv_params(1, 1), true},
      {"3x3 stride 2 pad 1", {4, 16, 13, 13}, {32, 16, 3, 3}, conv_params(2, 1), false},
      {"1x1 stride 2 (projection shortcut)", {4, 16, 8, 8}, {32, 16, 1, 1}, conv_params(2, 0), false},
      {"5x5 no padding", {2, 3, 11, 9}, {8, 3, 5, 5}, conv_params(1, 0), true},
      {"dilation 2", {2, 8, 10, 10}, {8, 8, 3, 3}, conv_params(1, 2, 2), true},
      {"groups 2", {3, 8, 9, 9}, {12, 4, 3, 3}, conv_params(1, 1, 1, 2), true},
      {"groups 4 stride 2", {3, 16, 9, 9}, {8, 4, 3, 3}, conv_params(2, 1, 1, 4), false},
      {"depthwise", {4, 32, 10, 10}, {32, 1, 3, 3}, conv_params(1, 1, 1, 32), false},
      {"depthwise stride 2, multiplier 2", {2, 8, 11, 11}, {16, 1, 3, 3}, conv_params(2, 1, 1, 8), true},
      {"non-square kernel, stride, pad, dilation", {2, 4, 9, 12}, {6, 4, 3, 2}, odd, true},
      {"1x1 input", {5, 64, 1, 1}, {10, 64, 1, 1}, conv_params(1, 0), true},
  };
}

}  // namespace

TEST_CASE("CUDA conv2d (cuDNN) matches the CPU, forward and backward", "[cuda][nn][conv]") {
  test::Tf32Guard fp32(false, false);  // f32 parity needs full-precision convolutions
  for (DType dtype : kFloatTypes) {
    const Tol tol = dtype == DType::f64 ? Tol{1e-11, 1e-10} : Tol{1e-4, 1e-4};
    for (const ConvCase& c : conv_cases()) {
      INFO(dtype_name(dtype) << " " << c.name << ": x " << shape_str(c.x) << " w " << shape_str(c.w));
      std::vector<Tensor> in{leaf(c.x, dtype, 3), leaf(c.w, dtype, 4)};
      if (c.bias) in.push_back(leaf({c.w[0]}, dtype, 5));
      const Conv2dParams p = c.p;
      check_parity([p](const std::vector<Tensor>& v) {
                     return ops::conv2d(v[0], v[1], v.size() > 2 ? v[2] : Tensor(), p);
                   },
                   in, tol);
    }
    // Gradient to the weight only (frozen input), and to the input only (frozen weight).
    const Conv2dParams p = conv_params(1, 1);
    check_parity([p](const std::vector<Tensor>& v) { return ops::conv2d(v[0], v[1], Tensor(), p); },
                 {test::randn({2, 4, 6, 6}, dtype, 6), leaf({4, 4, 3, 3}, dtype, 7)}, tol);
    check_parity([p](const std::vector<Tensor>& v) { return ops::conv2d(v[0], v[1], Tensor(), p); },
                 {leaf({2, 4, 6, 6}, dtype, 8), test::randn({4, 4, 3, 3}, dtype, 9)}, tol);
  }
}

TEST_CASE("cudnnFind's scratch is returned, not kept in the conv workspace", "[cuda][nn][conv]") {
  // A signature no other test uses, so the first call runs Find. The workspace it leaves must be
  // what the chosen algorithm needs — the same as a later call that finds the choice cached —
  // not the largest candidate's scratch (up to 512 MiB held for good).
  Tensor x = test::randn({17, 40, 29, 29}, DType::f32, 90).to(kGpu);
  Tensor w = test::randn({48, 40, 3, 3}, DType::f32, 91).to(kGpu);
  cuda_empty_cache();
  ops::conv2d(x, w, Tensor(), conv_params(1, 1));
  const size_t after_find = cuda::workspace_bytes(0);
  cuda_empty_cache();
  ops::conv2d(x, w, Tensor(), conv_params(1, 1));
  REQUIRE(cuda::workspace_bytes(0) == after_find);
}

TEST_CASE("CUDA conv2d with TF32 allowed stays within TF32 accuracy", "[cuda][nn][conv][tf32]") {
  test::Tf32Guard tf32(true, false);
  check_parity([](const std::vector<Tensor>& v) { return ops::conv2d(v[0], v[1], v[2], conv_params(1, 1)); },
               {leaf({8, 64, 16, 16}, DType::f32, 10), leaf({64, 64, 3, 3}, DType::f32, 11),
                leaf({64}, DType::f32, 12)},
               Tol{0.1, 1e-2});  // 576-term sums with 10-bit operands: errors ~1e-2, tails ~5e-2
}

// ---- batch norm ------------------------------------------------------------------------------

namespace {

// One training step of batch_norm2d (or batch_norm2d_relu when fused) on CPU and CUDA from the
// same running statistics: output, gradients of x/weight/bias and the updated running statistics
// must agree.
void check_bn_train(const Shape& shape, DType dtype, bool affine, bool running, double momentum, double eps,
                    bool fused = false) {
  INFO((fused ? "batch_norm2d_relu" : "batch_norm2d") << " train " << shape_str(shape) << " "
                                                      << dtype_name(dtype) << " affine " << affine
                             << " running stats " << running << " momentum " << momentum << " eps " << eps);
  const int64_t C = shape[1];
  Tensor rm = running ? test::randn({C}, dtype, 20) : Tensor();
  Tensor rv = running ? ops::add(ops::abs(test::randn({C}, dtype, 21)), 0.5) : Tensor();
  Tensor rm_c = running ? rm.clone() : Tensor(), rv_c = running ? rv.clone() : Tensor();
  Tensor rm_g = running ? rm.to(kGpu) : Tensor(), rv_g = running ? rv.to(kGpu) : Tensor();
  Tensor x = ops::mul(leaf(shape, dtype, 22), 3.0).detach().requires_grad_();
  const std::vector<Tensor> in =
      affine ? std::vector<Tensor>{x, leaf({C}, dtype, 23), leaf({C}, dtype, 24)} : std::vector<Tensor>{x};
  // The running statistics are captured per device: the closure sees which device it runs on.
  auto f = [&](const std::vector<Tensor>& v) {
    const bool gpu = v[0].device().is_cuda();
    const auto bn = fused ? ops::batch_norm2d_relu : ops::batch_norm2d;
    return bn(v[0], affine ? v[1] : Tensor(), affine ? v[2] : Tensor(), gpu ? rm_g : rm_c,
              gpu ? rv_g : rv_c, true, momentum, eps, /*channels_last=*/false);
  };
  const Tol tol = dtype == DType::f64 ? Tol{1e-11, 1e-10} : Tol{1e-4, 1e-4};
  check_parity(f, in, tol);
  if (running) {
    REQUIRE_CLOSE(test::from_gpu(rm_g), rm_c, tol.atol, tol.rtol);
    REQUIRE_CLOSE(test::from_gpu(rv_g), rv_c, tol.atol, tol.rtol);
    // They really were updated (momentum > 0).
    if (momentum > 0) REQUIRE_FALSE(test::compare(rm_c, rm, 0, 0).empty());
  }
}

}  // namespace

TEST_CASE("CUDA batch_norm2d in training matches the CPU, including running stats", "[cuda][nn][bn]") {
  for (DType dtype : kFloatTypes) {
    check_bn_train({8, 16, 10, 10}, dtype, true, true, 0.1, 1e-5);
    check_bn_train({2, 3, 1, 1}, dtype, true, true, 0.1, 1e-5);       // M = 2 values per channel
    check_bn_train({64, 32, 1, 1}, dtype, true, true, 0.9, 1e-3);     // BN after a linear layer
    check_bn_train({4, 5, 33, 17}, dtype, false, true, 0.1, 1e-5);    // no affine
    check_bn_train({4, 5, 7, 7}, dtype, true, false, 0.1, 1e-5);      // no running stats
    check_bn_train({3, 4, 5, 5}, dtype, true, true, 0.0, 1e-8);       // momentum 0: stats frozen
    check_bn_train({2, 128, 64, 64}, dtype, true, true, 0.1, 1e-5);   // many splits per channel
    check_bn_train({64, 3, 32, 32}, dtype, true, true, 0.1, 1e-5);    // few channels of 65536 values: most splits
  }
}

TEST_CASE("CUDA batch_norm2d_relu (fused) matches the CPU in training and eval", "[cuda][nn][bn]") {
  for (DType dtype : kFloatTypes) {
    check_bn_train({8, 16, 10, 10}, dtype, true, true, 0.1, 1e-5, true);
    check_bn_train({4, 5, 33, 17}, dtype, false, true, 0.1, 1e-5, true);
    check_bn_train({2, 128, 64, 64}, dtype, true, true, 0.1, 1e-5, true);
    // Eval without a graph takes the fused kernel: the same values as the CPU's.
    Tensor x = test::randn({4, 6, 9, 9}, dtype, 35), w = test::randn({6}, dtype, 36), b = test::randn({6}, dtype, 37);
    Tensor rm = test::randn({6}, dtype, 38), rv = ops::add(ops::abs(test::randn({6}, dtype, 39)), 0.5);
    NoGradGuard no_grad;
    Tensor cpu = ops::batch_norm2d_relu(x, w, b, rm, rv, false);
    Tensor gpu = ops::batch_norm2d_relu(x.to(kGpu), w.to(kGpu), b.to(kGpu), rm.to(kGpu), rv.to(kGpu), false);
    REQUIRE_CLOSE(test::from_gpu(gpu), cpu, dtype == DType::f64 ? 1e-12 : 1e-5, 1e-5);
  }
}

TEST_CASE("CUDA batch_norm2d in eval matches the CPU, forward and backward", "[cuda][nn][bn]") {
  for (DType dtype : kFloatTypes) {
    for (bool affine : {true, false}) {
      INFO(dtype_name(dtype) << " affine " << affine);
      const int64_t C = 6;
      Tensor rm = test::randn({C}, dtype, 30);
      Tensor rv = ops::add(ops::abs(test::randn({C}, dtype, 31)), 0.5);
      Tensor rm_g = rm.to(kGpu), rv_g = rv.to(kGpu);
      Tensor x = leaf({4, C, 9, 9}, dtype, 32);
      const std::vector<Tensor> in =
          affine ? std::vector<Tensor>{x, leaf({C}, dtype, 33), leaf({C}, dtype, 34)} : std::vector<Tensor>{x};
      auto f = [&](const std::vector<Tensor>& v) {
        const bool gpu = v[0].device().is_cuda();
        return ops::batch_norm2d(v[0], affine ? v[1] : Tensor(), affine ? v[2] : Tensor(), gpu ? rm_g : rm,
                                 gpu ? rv_g : rv, false, 0.1, 1e-5);
      };
      check_parity(f, in, dtype == DType::f64 ? Tol{1e-12, 1e-11} : Tol{1e-5, 1e-4});
      // Eval leaves the running statistics alone.
      REQUIRE_CLOSE(test::from_gpu(rm_g), rm, 0, 0);
      REQUIRE_CLOSE(test::from_gpu(rv_g), rv, 0, 0);
    }
  }
}

// ---- pooling ---------------------------------------------------------------------------------

namespace {

Pool2dParams pool(int64_t k, int64_t s, int64_t pad, bool count_include_pad = true) {
  Pool2dParams p;
  p.kernel_h = p.kernel_w = k;
  p.stride_h = p.stride_w = s;
  p.pad_h = p.pad_w = pad;
  p.count_include_pad = count_include_pad;
  return p;
}

}  // namespace

TEST_CASE("CUDA max/avg/global pooling match the CPU, forward and backward", "[cuda][nn][pool]") {
  Pool2dParams rect;  // non-square window, stride and padding
  rect.kernel_h = 3, rect.kernel_w = 2, rect.stride_h = 2, rect.stride_w = 1, rect.pad_h = 1, rect.pad_w = 0;
  const Pool2dParams params[] = {pool(2, 2, 0), pool(3, 2, 1), pool(3, 1, 1), pool(2, 1, 0), rect};
  for (DType dtype : kFloatTypes) {
    const Tol tol = test::default_tol(dtype);
    for (const Pool2dParams& p : params) {
      INFO(dtype_name(dtype) << " kernel " << p.kernel_h << "x" << p.kernel_w << " stride " << p.stride_h << "x"
                             << p.stride_w << " pad " << p.pad_h << "x" << p.pad_w);
      Tensor x = leaf({3, 5, 11, 10}, dtype, 40);
      // Max pooling selects elements and scatters gradients: exact on both devices.
      check_parity([p](const std::vector<Tensor>& v) { return ops::max_pool2d(v[0], p); }, {x}, Tol{0, 0});
      for (bool include_pad : {true, false}) {
        Pool2dParams q = p;
        q.count_include_pad = include_pad;
        INFO("avg count_include_pad " << include_pad);
        check_parity([q](const std::vector<Tensor>& v) { return ops::avg_pool2d(v[0], q); }, {x}, tol);
      }
    }
    // Ties inside windows (small integers): the first maximum wins on both devices.
    Generator gen(41);
    Tensor ties = ops::mul(Tensor::rand({2, 3, 8, 8}, gen, DType::f64), 3.0).to(DType::i64).to(dtype);
    check_parity([](const std::vector<Tensor>& v) { return ops::max_pool2d(v[0], pool(3, 1, 1)); },
                 {ties.requires_grad_()}, Tol{0, 0});
    for (const Shape& s : {Shape{4, 16, 8, 8}, Shape{2, 64, 1, 1}, Shape{3, 7, 33, 17}}) {
      INFO("global_avg_pool2d " << shape_str(s));
      check_parity([](const std::vector<Tensor>& v) { return ops::global_avg_pool2d(v[0]); },
                   {leaf(s, dtype, 42)}, tol);
    }
  }
}

// ---- padding and concat ----------------------------------------------------------------------

TEST_CASE("CUDA pad2d (zero and reflect) matches the CPU, forward and backward", "[cuda][nn][pad]") {
  auto pads = [](int64_t l, int64_t r, int64_t t, int64_t b, PadMode m) {
    Pad2dParams p;
    p.left = l, p.right = r, p.top = t, p.bottom = b, p.mode = m;
    return p;
  };
  for (DType dtype : kFloatTypes) {
    for (PadMode mode : {PadMode::zero, PadMode::reflect}) {
      for (const Pad2dParams& p : {pads(4, 4, 4, 4, mode), pads(1, 0, 2, 3, mode), pads(0, 0, 0, 0, mode),
                                   pads(6, 6, 4, 1, mode)}) {
        for (const Shape& s : {Shape{2, 3, 5, 7}, Shape{3, 6, 8}}) {
          INFO(dtype_name(dtype) << (mode == PadMode::zero ? " zero" : " reflect") << " pads l" << p.left << " r"
                                 << p.right << " t" << p.top << " b" << p.bottom << " input " << shape_str(s));
          // Reflect backward adds up to 9 terms in the CPU's order: exact; zero is a copy.
          check_parity([p](const std::vector<Tensor>& v) { return ops::pad2d(v[0], p); }, {leaf(s, dtype, 50)},
                       Tol{0, 0});
        }
      }
    }
  }
}

TEST_CASE("CUDA concat_channels matches the CPU, forward and backward", "[cuda][nn][concat]") {
  for (DType dtype : kFloatTypes) {
    INFO(dtype_name(dtype));
    check_parity([](const std::vector<Tensor>& v) { return ops::concat_channels(v); },
                 {leaf({4, 3, 5, 6}, dtype, 60), leaf({4, 1, 5, 6}, dtype, 61), leaf({4, 8, 5, 6}, dtype, 62)},
                 Tol{0, 0});
    // 2-D inputs, one without a gradient.
    check_parity([](const std::vector<Tensor>& v) { return ops::concat_channels(v); },
                 {leaf({7, 2}, dtype, 63), test::randn({7, 5}, dtype, 64)}, Tol{0, 0});
    check_parity([](const std::vector<Tensor>& v) { return ops::concat_channels(v); }, {leaf({1, 3, 2, 2}, dtype, 65)},
                 Tol{0, 0});
  }
}

// ---- dropout ---------------------------------------------------------------------------------

TEST_CASE("CUDA dropout draws the CPU's mask for the same seed", "[cuda][nn][dropout]") {
  for (DType dtype : kFloatTypes) {
    for (double p : {0.1, 0.5, 0.9, 1.0}) {
      INFO(dtype_name(dtype) << " p " << p);
      Tensor x = leaf({16, 33, 7}, dtype, 70);
      // A fresh generator with the same seed on each device: the same Philox stream.
      auto f = [p](const std::vector<Tensor>& v) {
        Generator gen(123);
        return ops::dropout(v[0], p, true, gen);
      };
      check_parity(f, {x}, Tol{0, 0});
      // Generators advance identically.
      Generator gc(5), gg(5);
      ops::dropout(x.detach(), p, true, gc);
      ops::dropout(x.detach().to(kGpu), p, true, gg);
      REQUIRE(gc.offset() == gg.offset());
    }
    // Eval mode is the identity on the GPU too.
    Generator gen(1);
    Tensor xg = test::randn({3, 4}, dtype, 71).to(kGpu);
    REQUIRE(ops::dropout(xg, 0.5, false, gen).same(xg));
  }
}

// Channels-last activations are a CPU layout (the models keep NCHW on the GPU): the ops say so.
TEST_CASE("CUDA conv2d and batch_norm2d refuse channels-last input with a clear error", "[cuda][nn][channels_last]") {
  Tensor x = Tensor::zeros({2, 8, 8, 16}).to(kGpu), w = Tensor::zeros({16, 16, 3, 3}).to(kGpu);
  Conv2dParams p;
  p.pad_h = p.pad_w = 1;
  p.channels_last = true;
  REQUIRE_THROWS_WITH(ops::conv2d(x, w, Tensor(), p), Catch::Contains("CPU only"));
  Tensor g = Tensor::ones({16}).to(kGpu), b = Tensor::zeros({16}).to(kGpu);
  REQUIRE_THROWS_WITH(ops::batch_norm2d(x, g, b, Tensor(), Tensor(), true, 0.1, 1e-5, true),
                      Catch::Contains("CPU only"));
}
