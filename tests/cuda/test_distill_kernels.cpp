// Every version of every lab kernel (kernels/cuda/lab/lab.h), and the baselines the benchmarks
// time, against the CPU reference in f64 (kernels/losses.h; ops::fsp_* on the CPU for FSP).
// Fresh random inputs per case; outputs are NaN-poisoned before each call so a kernel that skips
// an element fails. Sizes cover every path: sub-warp rows (C = 10, 32), float4 register rows
// (100, 1000), the unaligned scalar register layout (C = 33, 257, 1001; 48 in float4 with a
// partly filled last chunk), online block rows (5000, 32000),
// few and many rows; K = 2, 3, 4 (and 6 for the K > 4 fallback); FSP tiles of 16, 32 and 64,
// split-K and one-CTA-per-sample grids, and a ragged shape.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "core/autograd.h"
#include "core/kernel_views.h"
#include "core/ops/losses.h"
#include "core/ops/nn.h"
#include "core/random.h"
#include "kernels/losses.h"
#include "kernels/cuda/context.h"
#include "kernels/cuda/lab/lab.h"
#include "tests/support/tolerance.h"

using namespace cohort;
namespace lab = cohort::cuda::lab;

namespace {

const Device kGpu = Device::cuda(0);
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Tensor poisoned(const Shape& shape) { return Tensor::full(shape, kNaN, DType::f32, kGpu); }
Tensor f64(const Tensor& t) { return t.to(Device::cpu()).to(DType::f64); }
double max_abs(const Tensor& t) {
  double m = 0.0;
  for (double v : t.to_vector<double>()) m = std::max(m, std::fabs(v));
  return m;
}
cudaStream_t stream() { return cuda::current_stream(); }
void sync_stream() { cudaStreamSynchronize(stream()); }

// Gradients: atol relative to the largest reference element (they are O(1/(N·C)) each).
void require_grad_close(const Tensor& got, const Tensor& ref) {
  REQUIRE_CLOSE(got, ref, 2e-4 * max_abs(ref) + 1e-12, 2e-3);
}
void require_loss_close(const Tensor& got, const Tensor& ref) { REQUIRE_CLOSE(got, ref, 1e-5, 1e-3); }

struct Case {
  int64_t N, C;
};
const std::vector<Case> kRowCases = {{7, 10},    {4099, 10}, {5, 32},   {1030, 32}, {3, 33},  {300, 33},
                                     {9, 100},   {2050, 100}, {4, 1000}, {1500, 1000}, {3, 5000}, {200, 5000},
                                     {2, 32000}, {40, 32000}, {5, 48}, {300, 48}, {6, 257}, {130, 257},
                                     {3, 1001}, {70, 1001}};

// Version list of a family plus -1 standing for the baseline.
std::vector<int> versions_and_baseline(lab::Family f) {
  std::vector<int> v{-1};
  for (int i = 0; i < lab::num_versions(f); ++i) v.push_back(i);
  return v;
}

}  // namespace

TEST_CASE("lab softmax_kl: every version and the cuDNN composition match the f64 reference", "[cuda][lab]") {
  Generator gen(101);
  int case_id = 0;
  for (const Case& cs : kRowCases) {
    for (bool probs : {false, true}) {
      const double T = (case_id++ % 2) ? 4.0 : 1.0;
      Tensor s = Tensor::randn({cs.N, cs.C}, gen) * 3.0;
      Tensor t = Tensor::randn({cs.N, cs.C}, gen) * 3.0;
      if (probs) t = ops::softmax(t);
      Tensor ref_loss = Tensor::empty({}, DType::f64), ref_gs = Tensor::empty({cs.N, cs.C}, DType::f64), none;
      cpu::kd_kl_forward(view_of(f64(s)), view_of(f64(t)), T, probs, mutable_view_of(ref_loss));
      cpu::kd_kl_backward(view_of(f64(s)), view_of(f64(t)), T, probs, view_of(Tensor::scalar(0.75, DType::f64)),
                          mutable_view_of(ref_gs), mutable_view_of(none));
      Tensor ds = s.to(kGpu), dt = t.to(kGpu), g = Tensor::scalar(0.75, DType::f32, kGpu);
      for (int v : versions_and_baseline(lab::Family::softmax_kl)) {
        INFO("N=" << cs.N << " C=" << cs.C << " probs=" << probs << " T=" << T << " version=" << v);
        Tensor loss = poisoned({1}), gs = poisoned({cs.N, cs.C});
        Tensor loss_only = poisoned({1}), gs_only = poisoned({cs.N, cs.C});
        auto run = [&](float* l, float* gr) {
          if (v < 0)
            lab::softmax_kl_cudnn(ds.data<float>(), dt.data<float>(), cs.N, cs.C, static_cast<float>(T), probs, l, gr,
                                  g.data<float>(), stream());
          else
            lab::softmax_kl(ds.data<float>(), dt.data<float>(), cs.N, cs.C, static_cast<float>(T), probs, l, gr,
                            g.data<float>(), v, stream());
        };
        run(loss.data<float>(), gs.data<float>());   // fused forward + backward
        run(loss_only.data<float>(), nullptr);        // forward only
        run(nullptr, gs_only.data<float>());          // backward only
        sync_stream();
        require_loss_close(loss.reshape({}), ref_loss);
        require_loss_close(loss_only.reshape({}), ref_loss);
        require_grad_close(gs, ref_gs);
        require_grad_close(gs_only, ref_gs);
      }
    }
  }
}

TEST_CASE("lab cross_entropy: every version and the cuDNN composition match the f64 reference", "[cuda][lab]") {
  Generator gen(202);
  int case_id = 0;
  for (const Case& cs : kRowCases) {
    for (double eps : {0.0, 0.1}) {
      Tensor z = Tensor::randn({cs.N, cs.C}, gen) * 3.0;
      std::vector<int64_t> y(static_cast<size_t>(cs.N));
      for (int64_t n = 0; n < cs.N; ++n)
        y[static_cast<size_t>(n)] = (n + case_id) % 5 == 3 ? -100 : static_cast<int64_t>(gen.randint(static_cast<uint64_t>(cs.C)));
      ++case_id;
      Tensor labels = Tensor::from_vector<int64_t>(y, {cs.N});
      Tensor ref_loss = Tensor::empty({}, DType::f64), ref_lse = Tensor::empty({cs.N}, DType::f64),
             ref_valid = Tensor::empty({}, DType::f64), ref_g = Tensor::empty({cs.N, cs.C}, DType::f64);
      cpu::cross_entropy_forward(view_of(f64(z)), view_of(labels), eps, -100, mutable_view_of(ref_loss),
                                 mutable_view_of(ref_lse), mutable_view_of(ref_valid));
      cpu::cross_entropy_backward(view_of(f64(z)), view_of(labels), view_of(ref_lse), view_of(ref_valid),
                                  view_of(Tensor::scalar(1.5, DType::f64)), eps, -100, mutable_view_of(ref_g));
      Tensor dz = z.to(kGpu), dy = labels.to(kGpu), g = Tensor::scalar(1.5, DType::f32, kGpu);
      for (int v : versions_and_baseline(lab::Family::cross_entropy)) {
        INFO("N=" << cs.N << " C=" << cs.C << " eps=" << eps << " version=" << v);
        Tensor loss = poisoned({1}), lse = poisoned({cs.N}), valid = poisoned({1}), grad = poisoned({cs.N, cs.C});
        Tensor bad = Tensor::zeros({1}, DType::i64, kGpu);  // int flag in the first 4 bytes
        int* bad_ptr = reinterpret_cast<int*>(bad.data<int64_t>());
        if (v < 0)
          lab::cross_entropy_cudnn(dz.data<float>(), dy.data<int64_t>(), cs.N, cs.C, static_cast<float>(eps), -100,
                                   loss.data<float>(), lse.data<float>(), valid.data<float>(), grad.data<float>(),
                                   g.data<float>(), bad_ptr, stream());
        else
          lab::cross_entropy(dz.data<float>(), dy.data<int64_t>(), cs.N, cs.C, static_cast<float>(eps), -100,
                             loss.data<float>(), lse.data<float>(), valid.data<float>(), grad.data<float>(),
                             g.data<float>(), bad_ptr, v, stream());
        sync_stream();
        require_loss_close(loss.reshape({}), ref_loss);
        REQUIRE_CLOSE(lse, ref_lse, 1e-4, 1e-5);
        REQUIRE_CLOSE(valid.reshape({}), ref_valid, 0.0, 0.0);
        require_grad_close(grad, ref_g);
        REQUIRE(bad.item() == 0);
      }
    }
  }
}

TEST_CASE("lab cross_entropy: an out-of-range label raises the device flag in every version", "[cuda][lab]") {
  Generator gen(203);
  for (int64_t C : {10, 100, 5000}) {
    const int64_t N = 6;
    Tensor z = Tensor::randn({N, C}, gen).to(kGpu);
    Tensor y = Tensor::from_vector<int64_t>({1, 2, C, 0, -100, 3}, {N}).to(kGpu);
    for (int v : versions_and_baseline(lab::Family::cross_entropy)) {
      INFO("C=" << C << " version=" << v);
      Tensor loss = poisoned({1});
      Tensor bad = Tensor::zeros({1}, DType::i64, kGpu);
      int* bad_ptr = reinterpret_cast<int*>(bad.data<int64_t>());
      if (v < 0)
        lab::cross_entropy_cudnn(z.data<float>(), y.data<int64_t>(), N, C, 0.f, -100, loss.data<float>(), nullptr,
                                 nullptr, nullptr, nullptr, bad_ptr, stream());
      else
        lab::cross_entropy(z.data<float>(), y.data<int64_t>(), N, C, 0.f, -100, loss.data<float>(), nullptr, nullptr,
                           nullptr, nullptr, bad_ptr, v, stream());
      sync_stream();
      REQUIRE(bad.item() == 1);
      REQUIRE(std::isfinite(loss.item()));  // the bad row is left out, not turned into garbage
    }
  }
}

namespace {

// Reference of lab::cohort_kl: λ·dml_mimicry (+ per-student cross-entropy when fused), in f64.
void cohort_reference(const std::vector<Tensor>& z64, double T, DmlMode mode, const Tensor& g64,
                      const Tensor* labels, double lambda, double eps, Tensor& losses,
                      std::vector<Tensor>& grads) {
  const size_t K = z64.size();
  const int64_t N = z64[0].size(0), C = z64[0].size(1);
  Tensor mim = Tensor::empty({static_cast<int64_t>(K)}, DType::f64);
  cpu::dml_mimicry_forward(views_of(z64), T, mode, mutable_view_of(mim));
  std::vector<Tensor> mg;
  for (size_t k = 0; k < K; ++k) mg.push_back(Tensor::empty({N, C}, DType::f64));
  cpu::dml_mimicry_backward(views_of(z64), T, mode, view_of(g64 * lambda), mutable_views_of(mg));
  std::vector<double> l = mim.to_vector<double>();
  for (size_t k = 0; k < K; ++k) {
    l[k] *= lambda;
    grads[k] = mg[k];
    if (!labels) continue;
    Tensor ce = Tensor::empty({}, DType::f64), lse = Tensor::empty({N}, DType::f64), valid = Tensor::empty({}, DType::f64);
    cpu::cross_entropy_forward(view_of(z64[k]), view_of(*labels), eps, -100, mutable_view_of(ce),
                               mutable_view_of(lse), mutable_view_of(valid));
    Tensor gce = Tensor::empty({N, C}, DType::f64);
    cpu::cross_entropy_backward(view_of(z64[k]), view_of(*labels), view_of(lse), view_of(valid),
                                view_of(g64[static_cast<int64_t>(k)]), eps, -100, mutable_view_of(gce));
    l[k] += ce.item();
    grads[k] = grads[k] + gce;
  }
  losses = Tensor::from_vector<double>(l, {static_cast<int64_t>(K)});
}

}  // namespace

TEST_CASE("lab cohort_kl: every version, every mode, with and without CE, matches the f64 reference",
          "[cuda][lab]") {
  Generator gen(303);
  const std::vector<Case> cases = {{7, 10}, {1030, 10}, {5, 33}, {9, 100}, {600, 100}, {4, 1000}, {300, 1000},
                                   {3, 5000}, {2, 32000}};
  for (const Case& cs : cases) {
    for (int K : {2, 3, 4, 6}) {
      if (K == 6 && cs.C > 1000) continue;
      for (DmlMode mode : {DmlMode::average, DmlMode::sum, DmlMode::ensemble}) {
        for (bool with_ce : {false, true}) {
          const double T = mode == DmlMode::sum ? 1.0 : 3.0, lambda = with_ce ? 0.5 : 1.0, eps = with_ce ? 0.1 : 0.0;
          std::vector<Tensor> z, z64, dz;
          std::vector<float> gvals;
          for (int k = 0; k < K; ++k) {
            z.push_back(Tensor::randn({cs.N, cs.C}, gen) * 2.0);
            z64.push_back(f64(z.back()));
            dz.push_back(z.back().to(kGpu));
            gvals.push_back(0.5f + 0.25f * static_cast<float>(k));
          }
          std::vector<int64_t> y(static_cast<size_t>(cs.N));
          for (auto& v : y) v = static_cast<int64_t>(gen.randint(static_cast<uint64_t>(cs.C)));
          Tensor labels = Tensor::from_vector<int64_t>(y, {cs.N});
          Tensor g = Tensor::from_vector<float>(gvals, {K});
          Tensor ref_losses;
          std::vector<Tensor> ref_grads(static_cast<size_t>(K));
          cohort_reference(z64, T, mode, f64(g), with_ce ? &labels : nullptr, lambda, eps, ref_losses, ref_grads);
          Tensor dg = g.to(kGpu), dy = labels.to(kGpu);
          std::vector<int> versions = versions_and_baseline(lab::Family::cohort_kl);
          for (int v : versions) {
            if (v < 0 && (with_ce || mode == DmlMode::ensemble)) continue;  // the pairwise baseline has neither
            INFO("N=" << cs.N << " C=" << cs.C << " K=" << K << " mode=" << static_cast<int>(mode)
                      << " ce=" << with_ce << " version=" << v);
            Tensor losses = poisoned({K});
            std::vector<Tensor> grads;
            std::vector<const float*> zp;
            std::vector<float*> gp;
            for (int k = 0; k < K; ++k) {
              grads.push_back(poisoned({cs.N, cs.C}));
              zp.push_back(dz[static_cast<size_t>(k)].data<float>());
              gp.push_back(grads.back().data<float>());
            }
            Tensor bad = Tensor::zeros({1}, DType::i64, kGpu);
            lab::CohortCe ce;
            ce.labels = dy.data<int64_t>();
            ce.mimicry_weight = static_cast<float>(lambda);
            ce.label_smoothing = static_cast<float>(eps);
            ce.bad_label = reinterpret_cast<int*>(bad.data<int64_t>());
            if (v < 0)
              lab::cohort_kl_pairwise(zp.data(), K, cs.N, cs.C, static_cast<float>(T), mode, losses.data<float>(),
                                      gp.data(), dg.data<float>(), stream());
            else
              lab::cohort_kl(zp.data(), K, cs.N, cs.C, static_cast<float>(T), mode, losses.data<float>(), gp.data(),
                             dg.data<float>(), with_ce ? &ce : nullptr, v, stream());
            sync_stream();
            REQUIRE_CLOSE(losses, ref_losses, 1e-5, 1e-3);
            for (int k = 0; k < K; ++k) {
              INFO("student " << k);
              require_grad_close(grads[static_cast<size_t>(k)], ref_grads[static_cast<size_t>(k)]);
            }
            REQUIRE(bad.item() == 0);
            // Forward only must give the same losses (the kernels skip the gradient stores).
            if (v >= 0) {
              Tensor fwd = poisoned({K});
              lab::cohort_kl(zp.data(), K, cs.N, cs.C, static_cast<float>(T), mode, fwd.data<float>(), nullptr,
                             nullptr, with_ce ? &ce : nullptr, v, stream());
              sync_stream();
              REQUIRE_CLOSE(fwd, ref_losses, 1e-5, 1e-3);
            }
          }
        }
      }
    }
  }
}

namespace {

struct FspShape {
  int B, m, n, h, w;
};

}  // namespace

TEST_CASE("lab fsp: Gram matrix and fused loss, every version, match the f64 reference", "[cuda][lab]") {
  Generator gen(404);
  // ResNet-32 and WRN-28-10 stage shapes with small B (split-K grids), many samples of a small
  // map (one CTA per sample), and a ragged shape that fits no tile.
  const std::vector<FspShape> shapes = {{2, 16, 16, 32, 32}, {3, 32, 32, 16, 16}, {2, 64, 64, 8, 8},
                                        {300, 16, 16, 8, 8}, {2, 160, 160, 32, 32}, {1, 320, 320, 16, 16},
                                        {1, 640, 640, 8, 8}, {3, 20, 36, 7, 7}};
  const double lambda = 0.7;
  for (const FspShape& sh : shapes) {
    const int64_t hw = static_cast<int64_t>(sh.h) * sh.w;
    Tensor fs1 = Tensor::randn({sh.B, sh.m, sh.h, sh.w}, gen), fs2 = Tensor::randn({sh.B, sh.n, sh.h, sh.w}, gen);
    Tensor ft1 = Tensor::randn({sh.B, sh.m, sh.h, sh.w}, gen), ft2 = Tensor::randn({sh.B, sh.n, sh.h, sh.w}, gen);
    // Reference through the autograd ops on the CPU in f64.
    Tensor r1 = f64(fs1).requires_grad_(), r2 = f64(fs2).requires_grad_();
    Tensor ref_gs = ops::fsp_matrix(r1, r2);
    Tensor ref_gt;
    {
      NoGradGuard no_grad;
      ref_gt = ops::fsp_matrix(f64(ft1), f64(ft2));
    }
    Tensor ref_loss = ops::fsp_loss(ref_gs, ref_gt, lambda);
    ref_loss.backward(Tensor::scalar(1.25, DType::f64));
    Tensor d1 = fs1.to(kGpu), d2 = fs2.to(kGpu), e1 = ft1.to(kGpu), e2 = ft2.to(kGpu);
    Tensor g = Tensor::scalar(1.25, DType::f32, kGpu);
    for (int v = 0; v < lab::num_versions(lab::Family::fsp); ++v) {
      INFO("B=" << sh.B << " m=" << sh.m << " n=" << sh.n << " hw=" << hw << " version=" << v);
      Tensor G = poisoned({sh.B, sh.m, sh.n});
      lab::fsp_matrix(d1.data<float>(), d2.data<float>(), sh.B, sh.m, sh.n, hw, G.data<float>(), v, stream());
      Tensor loss = poisoned({1}), g1 = poisoned(fs1.shape()), g2 = poisoned(fs2.shape());
      lab::fsp_loss(d1.data<float>(), d2.data<float>(), e1.data<float>(), e2.data<float>(), sh.B, sh.m, sh.n, hw,
                    static_cast<float>(lambda), loss.data<float>(), g1.data<float>(), g2.data<float>(), g.data<float>(),
                    v, stream());
      Tensor loss_only = poisoned({1});
      lab::fsp_loss(d1.data<float>(), d2.data<float>(), e1.data<float>(), e2.data<float>(), sh.B, sh.m, sh.n, hw,
                    static_cast<float>(lambda), loss_only.data<float>(), nullptr, nullptr, nullptr, v, stream());
      sync_stream();
      REQUIRE_CLOSE(G, ref_gs.detach(), 1e-5, 1e-3);
      REQUIRE_CLOSE(loss.reshape({}), ref_loss.detach(), 1e-6, 1e-3);
      REQUIRE_CLOSE(loss_only.reshape({}), ref_loss.detach(), 1e-6, 1e-3);
      require_grad_close(g1, r1.grad());
      require_grad_close(g2, r2.grad());
    }
  }
}
