// Cohort (DML) mimicry, K students, forward+backward in one launch: every lab version vs K(K−1)
// pairwise softmax_kl calls (kernels/cuda/lab/baselines.cu), mode average, T = 3. One extra row
// per shape times the default version fused with each student's cross-entropy (λ = 1).
// Byte model: K·N·C·4 read + K·N·C·4 written per call.
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
  const char* prog = "bench_cohort_kl";
  if (!bench::gpu_available(prog)) return bench::kSkip;
  const bench::Options opt = bench::parse_options(argc, argv, prog);
  cudaStream_t st = cuda::current_stream();
  bench::L2Flusher l2;
  bench::Report report("cohort_kl forward+backward (average, T=3)", opt, bench::copy_bandwidth_gbs(opt, st));
  const std::vector<int64_t> Ns = opt.quick ? std::vector<int64_t>{256} : std::vector<int64_t>{64, 128, 256, 4096, 65536};
  const std::vector<int64_t> Cs = {10, 100, 1000, 32000};
  const float T = 3.f;
  const Device gpu = Device::cuda(0);
  Generator gen(9);
  bool all_valid = true;
  for (int K : {2, 4})
    for (int64_t N : Ns)
      for (int64_t C : Cs) {
        if (static_cast<int64_t>(K) * N * C > opt.max_elems) {
          fmt::print("skip K={} N={} C={}: over --max-elems {}\n", K, N, C, opt.max_elems);
          continue;
        }
        std::vector<Tensor> z, g, rg;
        std::vector<const float*> zp;
        std::vector<float*> gp, rgp;
        for (int k = 0; k < K; ++k) {
          z.push_back(Tensor::randn({N, C}, gen, DType::f32, gpu) * 2.0);
          g.push_back(Tensor::empty({N, C}, DType::f32, gpu));
          rg.push_back(Tensor::empty({N, C}, DType::f32, gpu));
          zp.push_back(z.back().data<float>());
          gp.push_back(g.back().data<float>());
          rgp.push_back(rg.back().data<float>());
        }
        std::vector<int64_t> y(static_cast<size_t>(N));
        for (auto& v : y) v = static_cast<int64_t>(gen.randint(static_cast<uint64_t>(C)));
        Tensor labels = Tensor::from_vector<int64_t>(y, {N}, gpu);
        Tensor losses = Tensor::empty({K}, DType::f32, gpu), ref_losses = Tensor::empty({K}, DType::f32, gpu);
        auto baseline = [&] {
          lab::cohort_kl_pairwise(zp.data(), K, N, C, T, DmlMode::average, ref_losses.data<float>(), rgp.data(),
                                  nullptr, st);
        };
        auto version = [&](int v, const lab::CohortCe* ce) {
          return [&, v, ce] {
            lab::cohort_kl(zp.data(), K, N, C, T, DmlMode::average, losses.data<float>(), gp.data(), nullptr, ce, v, st);
          };
        };
        auto validate = [&](int v) {
          version(v, nullptr)();
          std::string err = bench::compare_device(losses.data<float>(), ref_losses.data<float>(), K, 1e-5, 1e-3);
          for (int k = 0; k < K && err.empty(); ++k)
            err = bench::compare_device(gp[static_cast<size_t>(k)], rgp[static_cast<size_t>(k)], N * C, 2e-4, 2e-3);
          if (!err.empty()) fmt::print("INVALID K={} N={} C={} version {}: {}\n", K, N, C, v, err);
          return err.empty();
        };
        baseline();
        const std::string shape = fmt::format("K={} N={} C={}", K, N, C);
        const double bytes = 8.0 * K * static_cast<double>(N * C);
        const bench::Timing tb = bench::time_it(baseline, opt, l2, st);
        report.add({"cohort_kl", shape, "K(K-1) pairwise softmax_kl (baseline)", tb.median_us, bytes, 0, 0, true});
        for (int v = 0; v < lab::num_versions(lab::Family::cohort_kl); ++v) {
          if (lab::resolve_version(lab::Family::cohort_kl, v, C, K) != v) continue;
          if (v == 0 && N * C > (int64_t{1} << 25)) continue;  // thread-per-row: minutes at this size
          const bool ok = validate(v);
          all_valid = all_valid && ok;
          const bench::Timing tv = bench::time_it(version(v, nullptr), opt, l2, st);
          report.add({"cohort_kl", shape, lab::version_name(lab::Family::cohort_kl, v), tv.median_us, bytes, 0,
                      tb.median_us, ok});
        }
        all_valid = validate(lab::kBest) && all_valid;
        lab::CohortCe ce;
        ce.labels = labels.data<int64_t>();
        const bench::Timing tf = bench::time_it(version(lab::kBest, &ce), opt, l2, st);
        report.add({"cohort_kl+CE", shape, "default version, CE fused", tf.median_us, bytes + 8.0 * N, 0, 0, true});
      }
  report.print();
  report.write_json();
  return all_valid ? 0 : 1;
}
#else
int main() {
  fmt::print("bench_cohort_kl: cohort was built without CUDA; skipping (exit 77)\n");
  return 77;
}
#endif
