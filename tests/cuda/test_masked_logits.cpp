// Masked logits (−inf entries, e.g. classes left out of a task) through the distillation losses:
// cross-entropy without label smoothing stays finite (the ε·Σz term is skipped, not 0·(−inf)),
// a student logit of −inf where the teacher puts mass gives KL = +inf (it is not padding), and a
// cohort masked on the same columns keeps finite losses — in every lab version and at the
// Tensor level on both kernel paths (core/loss_kernels.h), always against the CPU reference.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "core/kernel_views.h"
#include "core/loss_kernels.h"
#include "core/ops/losses.h"
#include "core/random.h"
#include "kernels/losses.h"
#include "kernels/cuda/context.h"
#include "kernels/cuda/lab/lab.h"
#include "tests/support/tolerance.h"

using namespace cohort;
namespace lab = cohort::cuda::lab;

namespace {

const Device kGpu = Device::cuda(0);
constexpr double kInf = std::numeric_limits<double>::infinity();

// Logits [N, C] of a few units with column `c` set to −inf in every row where c % 7 == 3 (never
// column 0, which holds every label below), so masks fall in every lane and float4 chunk.
Tensor masked_logits(int64_t N, int64_t C, Generator& gen) {
  std::vector<float> z = (Tensor::randn({N, C}, gen) * 3.0).to_vector<float>();
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 3; c < C; c += 7) z[static_cast<size_t>(n * C + c)] = -INFINITY;
  return Tensor::from_vector<float>(z, {N, C});
}
Tensor f64(const Tensor& t) { return t.to(Device::cpu()).to(DType::f64); }
void sync_stream() { cudaStreamSynchronize(cuda::current_stream()); }

// A loss against its f64 reference: +inf must stay +inf, a finite one must match.
void require_loss_matches(double got, double ref) {
  INFO("got " << got << ", reference " << ref);
  if (std::isinf(ref)) {
    REQUIRE(got == ref);
  } else {
    REQUIRE(std::isfinite(got));
    REQUIRE(std::fabs(got - ref) <= 1e-5 + 1e-3 * std::fabs(ref));
  }
}

const std::vector<int64_t> kClasses = {10, 33, 48, 100, 257, 1001, 5000};

// Restores the process-wide kernel choice when a test ends.
struct LossKernelsGuard {
  LossKernels saved = loss_kernels();
  ~LossKernelsGuard() { set_loss_kernels(saved); }
};

}  // namespace

TEST_CASE("lab cross_entropy at eps = 0 stays finite with masked logits, every version", "[cuda][lab][masked]") {
  Generator gen(71);
  for (int64_t C : kClasses) {
    const int64_t N = 37;
    Tensor z = masked_logits(N, C, gen);
    Tensor labels = Tensor::zeros({N}, DType::i64);
    Tensor ref_loss = Tensor::empty({}, DType::f64), ref_lse = Tensor::empty({N}, DType::f64),
           ref_valid = Tensor::empty({}, DType::f64);
    cpu::cross_entropy_forward(view_of(f64(z)), view_of(labels), 0.0, -100, mutable_view_of(ref_loss),
                               mutable_view_of(ref_lse), mutable_view_of(ref_valid));
    REQUIRE(std::isfinite(ref_loss.item()));
    Tensor dz = z.to(kGpu), dy = labels.to(kGpu);
    for (int v = 0; v < lab::num_versions(lab::Family::cross_entropy); ++v) {
      INFO("C=" << C << " version=" << v);
      Tensor loss = Tensor::zeros({1}, DType::f32, kGpu), grad = Tensor::zeros({N, C}, DType::f32, kGpu);
      lab::cross_entropy(dz.data<float>(), dy.data<int64_t>(), N, C, 0.f, -100, loss.data<float>(), nullptr, nullptr,
                         grad.data<float>(), nullptr, nullptr, v, cuda::current_stream());
      sync_stream();
      require_loss_matches(loss.item(), ref_loss.item());
      for (float g : grad.to_vector<float>()) REQUIRE(std::isfinite(g));
    }
  }
}

TEST_CASE("lab softmax_kl: a student logit of -inf where the teacher has mass gives +inf, every version",
          "[cuda][lab][masked]") {
  Generator gen(72);
  for (int64_t C : kClasses) {
    const int64_t N = 9;
    Tensor s = masked_logits(N, C, gen), t = Tensor::randn({N, C}, gen);
    Tensor ref = Tensor::empty({}, DType::f64);
    cpu::kd_kl_forward(view_of(f64(s)), view_of(f64(t)), 2.0, false, mutable_view_of(ref));
    REQUIRE(ref.item() == kInf);
    // And the mirror case: the teacher masked, the student not — finite on both devices.
    Tensor ref_t_masked = Tensor::empty({}, DType::f64);
    cpu::kd_kl_forward(view_of(f64(t)), view_of(f64(s)), 2.0, false, mutable_view_of(ref_t_masked));
    REQUIRE(std::isfinite(ref_t_masked.item()));
    Tensor ds = s.to(kGpu), dt = t.to(kGpu);
    for (int v = 0; v < lab::num_versions(lab::Family::softmax_kl); ++v) {
      INFO("C=" << C << " version=" << v);
      Tensor loss = Tensor::zeros({1}, DType::f32, kGpu), loss_t_masked = Tensor::zeros({1}, DType::f32, kGpu);
      lab::softmax_kl(ds.data<float>(), dt.data<float>(), N, C, 2.f, false, loss.data<float>(), nullptr, nullptr, v,
                      cuda::current_stream());
      lab::softmax_kl(dt.data<float>(), ds.data<float>(), N, C, 2.f, false, loss_t_masked.data<float>(), nullptr,
                      nullptr, v, cuda::current_stream());
      sync_stream();
      require_loss_matches(loss.item(), ref.item());
      require_loss_matches(loss_t_masked.item(), ref_t_masked.item());
    }
  }
}

TEST_CASE("lab cohort_kl with fused CE at eps = 0 stays finite when every student is masked alike",
          "[cuda][lab][masked]") {
  Generator gen(73);
  for (int64_t C : {10, 100, 1001}) {
    for (int K : {2, 3}) {
      const int64_t N = 21;
      // Same mask in every student: each p_k is 0 there, so the mimicry terms stay finite.
      std::vector<Tensor> z, dz;
      std::vector<const float*> zp;
      Tensor mim = Tensor::empty({K}, DType::f64);
      std::vector<Tensor> z64;
      for (int k = 0; k < K; ++k) {
        z.push_back(masked_logits(N, C, gen));
        z64.push_back(f64(z.back()));
        dz.push_back(z.back().to(kGpu));
        zp.push_back(dz.back().data<float>());
      }
      Tensor labels = Tensor::zeros({N}, DType::i64), dy = labels.to(kGpu);
      cpu::dml_mimicry_forward(views_of(z64), 1.0, DmlMode::average, mutable_view_of(mim));
      std::vector<double> ref = mim.to_vector<double>();
      for (int k = 0; k < K; ++k) {
        Tensor ce = Tensor::empty({}, DType::f64), lse = Tensor::empty({N}, DType::f64),
               valid = Tensor::empty({}, DType::f64);
        cpu::cross_entropy_forward(view_of(z64[static_cast<size_t>(k)]), view_of(labels), 0.0, -100,
                                   mutable_view_of(ce), mutable_view_of(lse), mutable_view_of(valid));
        ref[static_cast<size_t>(k)] += ce.item();
      }
      lab::CohortCe ce;
      ce.labels = dy.data<int64_t>();
      ce.mimicry_weight = 1.f;
      ce.label_smoothing = 0.f;
      for (int v = 0; v < lab::num_versions(lab::Family::cohort_kl); ++v) {
        INFO("C=" << C << " K=" << K << " version=" << v);
        Tensor losses = Tensor::zeros({K}, DType::f32, kGpu);
        lab::cohort_kl(zp.data(), K, N, C, 1.f, DmlMode::average, losses.data<float>(), nullptr, nullptr, &ce, v,
                       cuda::current_stream());
        sync_stream();
        std::vector<float> got = losses.to_vector<float>();
        for (int k = 0; k < K; ++k) require_loss_matches(got[static_cast<size_t>(k)], ref[static_cast<size_t>(k)]);
      }
    }
  }
}

TEST_CASE("Tensor-level losses with masked logits match the CPU on both kernel paths", "[cuda][losses][masked]") {
  LossKernelsGuard restore;
  Generator gen(74);
  for (LossKernels kernels : {LossKernels::simple, LossKernels::lab}) {
    set_loss_kernels(kernels);
    for (int64_t C : {33, 257, 1001}) {
      INFO("kernels=" << (kernels == LossKernels::lab ? "lab" : "simple") << " C=" << C);
      const int64_t N = 13;
      Tensor s = masked_logits(N, C, gen), t = Tensor::randn({N, C}, gen), u = masked_logits(N, C, gen);
      Tensor labels = Tensor::zeros({N}, DType::i64);
      require_loss_matches(ops::cross_entropy(s.to(kGpu), labels.to(kGpu)).item(),
                           ops::cross_entropy(f64(s), labels).item());
      require_loss_matches(ops::kd_kl(s.to(kGpu), t.to(kGpu), 2.0).item(), ops::kd_kl(f64(s), f64(t), 2.0).item());
      require_loss_matches(ops::kd_kl(t.to(kGpu), s.to(kGpu), 2.0).item(), ops::kd_kl(f64(t), f64(s), 2.0).item());
      // u is masked on the same columns as s: finite mimicry terms.
      const std::vector<double> ref = ops::dml_mimicry({f64(s), f64(u)}, 3.0).to_vector<double>();
      const std::vector<float> got = ops::dml_mimicry({s.to(kGpu), u.to(kGpu)}, 3.0).to_vector<float>();
      for (size_t k = 0; k < 2; ++k) require_loss_matches(got[k], ref[k]);
    }
  }
}
