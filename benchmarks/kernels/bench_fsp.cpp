// FSP loss with the student features' gradients (the training call), and the Gram product alone:
// every lab version vs version 0 = cublasSgemmStridedBatched (+ loss kernel). Shapes: the stage
// maps of ResNet-32 and WRN-28-10 on CIFAR (m×n×hw), B = 64 and 128.
// Models (docs/kernels.md): Gram FLOPs 2·B·m·n·hw; loss+grads FLOPs 8·B·m·n·hw (two Gram products,
// two backward GEMMs); bytes: Gram B·(m+n)·hw·4 read + B·m·n·4 written; loss+grads
// 3·B·(m+n)·hw·4 read (student twice, teacher once) + B·(m+n)·hw·4 written.
#include "benchmarks/harness/harness.h"

#include <fmt/core.h>

#include <cmath>

#ifdef COHORT_WITH_CUDA
#include "core/random.h"
#include "core/tensor.h"
#include "kernels/cuda/context.h"
#include "kernels/cuda/lab/lab.h"

using namespace cohort;
namespace lab = cohort::cuda::lab;

namespace {
struct FspShape {
  const char* net;
  int m, n, hw;
};
}  // namespace

int main(int argc, char** argv) {
  const char* prog = "bench_fsp";
  if (!bench::gpu_available(prog)) return bench::kSkip;
  const bench::Options opt = bench::parse_options(argc, argv, prog);
  cudaStream_t st = cuda::current_stream();
  bench::L2Flusher l2;
  bench::Report report("FSP Gram and loss+grads (lambda=1)", opt, bench::copy_bandwidth_gbs(opt, st));
  const std::vector<FspShape> shapes = {{"resnet32", 16, 16, 1024}, {"resnet32", 32, 32, 256}, {"resnet32", 64, 64, 64},
                                     {"wrn-28-10", 160, 160, 1024}, {"wrn-28-10", 320, 320, 256},
                                     {"wrn-28-10", 640, 640, 64}};
  const Device gpu = Device::cuda(0);
  Generator gen(10);
  bool all_valid = true;
  for (int B : opt.quick ? std::vector<int>{64} : std::vector<int>{64, 128})
    for (const FspShape& sh : shapes) {
      const int64_t hw = sh.hw;
      Tensor fs1 = Tensor::randn({B, sh.m, hw}, gen, DType::f32, gpu), fs2 = Tensor::randn({B, sh.n, hw}, gen, DType::f32, gpu);
      Tensor ft1 = Tensor::randn({B, sh.m, hw}, gen, DType::f32, gpu), ft2 = Tensor::randn({B, sh.n, hw}, gen, DType::f32, gpu);
      Tensor G = Tensor::empty({B, sh.m, sh.n}, DType::f32, gpu), rG = Tensor::empty({B, sh.m, sh.n}, DType::f32, gpu);
      Tensor loss = Tensor::empty({1}, DType::f32, gpu), rloss = Tensor::empty({1}, DType::f32, gpu);
      Tensor g1 = Tensor::empty(fs1.shape(), DType::f32, gpu), g2 = Tensor::empty(fs2.shape(), DType::f32, gpu);
      Tensor r1 = Tensor::empty(fs1.shape(), DType::f32, gpu), r2 = Tensor::empty(fs2.shape(), DType::f32, gpu);
      auto gram = [&](int v, Tensor& out) {
        return [&, v] { lab::fsp_matrix(fs1.data<float>(), fs2.data<float>(), B, sh.m, sh.n, hw, out.data<float>(), v, st); };
      };
      auto loss_grads = [&](int v, Tensor& l, Tensor& d1, Tensor& d2) {
        return [&, v] {
          lab::fsp_loss(fs1.data<float>(), fs2.data<float>(), ft1.data<float>(), ft2.data<float>(), B, sh.m, sh.n, hw,
                        1.f, l.data<float>(), d1.data<float>(), d2.data<float>(), nullptr, v, st);
        };
      };
      gram(0, rG)();
      loss_grads(0, rloss, r1, r2)();
      auto validate = [&](int v) {
        gram(v, G)();
        loss_grads(v, loss, g1, g2)();
        std::string err = bench::compare_device(G.data<float>(), rG.data<float>(), G.numel(), 1e-4, 1e-3);
        if (err.empty()) err = bench::compare_device(loss.data<float>(), rloss.data<float>(), 1, 0, 1e-3);
        if (err.empty()) err = bench::compare_device(g1.data<float>(), r1.data<float>(), g1.numel(), 2e-4, 2e-3);
        if (err.empty()) err = bench::compare_device(g2.data<float>(), r2.data<float>(), g2.numel(), 2e-4, 2e-3);
        if (!err.empty()) fmt::print("INVALID {} B={} {}x{}x{} version {}: {}\n", sh.net, B, sh.m, sh.n, hw, v, err);
        return err.empty();
      };
      const std::string shape = fmt::format("{} B={} {}x{}x{}", sh.net, B, sh.m, sh.n, hw);
      const double mnhw = static_cast<double>(B) * sh.m * sh.n * hw;
      const double feat = static_cast<double>(B) * (sh.m + sh.n) * hw * 4.0;
      const double gram_bytes = feat + static_cast<double>(B) * sh.m * sh.n * 4.0;
      const double loss_bytes = 4.0 * feat;
      double base_gram = 0, base_loss = 0;
      for (int v = 0; v < lab::num_versions(lab::Family::fsp); ++v) {
        const bool ok = v == 0 || validate(v);
        all_valid = all_valid && ok;
        if (v < 2) {  // fsp_matrix has no v2
          const bench::Timing t = bench::time_it(gram(v, G), opt, l2, st);
          if (v == 0) base_gram = t.median_us;
          report.add({"fsp_matrix", shape, lab::version_name(lab::Family::fsp, v), t.median_us, gram_bytes, 2.0 * mnhw,
                      v == 0 ? 0 : base_gram, ok});
        }
        const bench::Timing t = bench::time_it(loss_grads(v, loss, g1, g2), opt, l2, st);
        if (v == 0) base_loss = t.median_us;
        report.add({"fsp_loss+grad", shape, lab::version_name(lab::Family::fsp, v), t.median_us, loss_bytes, 8.0 * mnhw,
                    v == 0 ? 0 : base_loss, ok});
      }
      all_valid = validate(lab::kBest) && all_valid;
    }
  report.print();
  report.write_json();
  return all_valid ? 0 : 1;
}
#else
int main() {
  fmt::print("bench_fsp: cohort was built without CUDA; skipping (exit 77)\n");
  return 77;
}
#endif
