// Cross-entropy forward+backward (fused log-softmax + NLL, mean, no smoothing): every lab version
// vs the cuDNN composition. Byte model: N·C·4 read + N·C·4 written + 8N (labels) per call.
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

int main(int argc, char** argv) {
  const char* prog = "bench_cross_entropy";
  if (!bench::gpu_available(prog)) return bench::kSkip;
  const bench::Options opt = bench::parse_options(argc, argv, prog);
  cudaStream_t st = cuda::current_stream();
  bench::L2Flusher l2;
  bench::Report report("cross_entropy forward+backward", opt, bench::copy_bandwidth_gbs(opt, st));
  const std::vector<int64_t> Ns = opt.quick ? std::vector<int64_t>{256, 4096} : std::vector<int64_t>{64, 128, 256, 4096, 65536};
  const std::vector<int64_t> Cs = {10, 100, 1000, 32000};
  const Device gpu = Device::cuda(0);
  Generator gen(8);
  bool all_valid = true;
  for (int64_t N : Ns)
    for (int64_t C : Cs) {
      if (N * C > opt.max_elems) {
        fmt::print("skip N={} C={}: {} elements per tensor > --max-elems {}\n", N, C, N * C, opt.max_elems);
        continue;
      }
      Tensor z = Tensor::randn({N, C}, gen, DType::f32, gpu) * 3.0;
      std::vector<int64_t> y(static_cast<size_t>(N));
      for (auto& v : y) v = static_cast<int64_t>(gen.randint(static_cast<uint64_t>(C)));
      Tensor labels = Tensor::from_vector<int64_t>(y, {N}, gpu);
      Tensor loss = Tensor::empty({1}, DType::f32, gpu), grad = Tensor::empty({N, C}, DType::f32, gpu);
      Tensor ref_loss = Tensor::empty({1}, DType::f32, gpu), ref_grad = Tensor::empty({N, C}, DType::f32, gpu);
      auto baseline = [&] {
        lab::cross_entropy_cudnn(z.data<float>(), labels.data<int64_t>(), N, C, 0.f, -100, ref_loss.data<float>(),
                                 nullptr, nullptr, ref_grad.data<float>(), nullptr, nullptr, st);
      };
      auto version = [&](int v) {
        return [&, v] {
          lab::cross_entropy(z.data<float>(), labels.data<int64_t>(), N, C, 0.f, -100, loss.data<float>(), nullptr,
                             nullptr, grad.data<float>(), nullptr, nullptr, v, st);
        };
      };
      auto validate = [&](int v) {
        version(v)();
        const double l = bench::read_scalar(loss.data<float>()), r = bench::read_scalar(ref_loss.data<float>());
        std::string err = std::fabs(l - r) <= 1e-5 + 1e-3 * std::fabs(r) ? "" : fmt::format("loss {} vs {}", l, r);
        if (err.empty()) err = bench::compare_device(grad.data<float>(), ref_grad.data<float>(), N * C, 2e-4, 2e-3);
        if (!err.empty()) fmt::print("INVALID N={} C={} version {}: {}\n", N, C, v, err);
        return err.empty();
      };
      baseline();
      const std::string shape = fmt::format("N={} C={}", N, C);
      const double bytes = 8.0 * static_cast<double>(N * C) + 8.0 * static_cast<double>(N);
      const bench::Timing tb = bench::time_it(baseline, opt, l2, st);
      report.add({"cross_entropy", shape, "cuDNN composition (baseline)", tb.median_us, bytes, 0, 0, true});
      for (int v = 0; v < lab::num_versions(lab::Family::cross_entropy); ++v) {
        if (lab::resolve_version(lab::Family::cross_entropy, v, C) != v) continue;
        if (v == 0 && N * C > (int64_t{1} << 26)) continue;  // thread-per-row: minutes at this size
        const bool ok = validate(v);
        all_valid = all_valid && ok;
        const bench::Timing tv = bench::time_it(version(v), opt, l2, st);
        report.add({"cross_entropy", shape, lab::version_name(lab::Family::cross_entropy, v), tv.median_us, bytes, 0,
                    tb.median_us, ok});
      }
      all_valid = validate(lab::kBest) && all_valid;
    }
  report.print();
  report.write_json();
  return all_valid ? 0 : 1;
}
#else
int main() {
  fmt::print("bench_cross_entropy: cohort was built without CUDA; skipping (exit 77)\n");
  return 77;
}
#endif
