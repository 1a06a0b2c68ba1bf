// The distillation losses against PyTorch (tests/python/ref_losses.py): values and gradients.
#include <catch2/catch.hpp>

#include "core/ops/losses.h"
#include "core/ops/reduce.h"
#include "tests/support/tolerance.h"
#include "tests/support/torch_refs.h"

using namespace cohort;

namespace {
Tensor leaf(const Tensor& t) {
  Tensor c = t.clone();
  c.requires_grad_();
  return c;
}
}  // namespace

TEST_CASE("kd_kl matches F.kl_div(...,'batchmean')*T^2 (values, student and teacher gradients)", "[losses][torch]") {
  auto ref = test::torch_reference("losses_kd_kl").tensors;
  Tensor s = leaf(ref["s"]), t = leaf(ref["t"]);
  Tensor loss = ops::kd_kl(s, t, ref["T"].item(), {.teacher_requires_grad = true});
  loss.backward();
  REQUIRE_CLOSE(loss, ref["loss"], 1e-12, 1e-10);
  REQUIRE_CLOSE(s.grad(), ref["grad_s"], 1e-12, 1e-10);
  REQUIRE_CLOSE(t.grad(), ref["grad_t"], 1e-12, 1e-10);

  auto refp = test::torch_reference("losses_kd_kl_probs").tensors;
  Tensor s2 = leaf(refp["s"]);
  Tensor loss2 = ops::kd_kl(s2, refp["probs"], 2.0, {.teacher_is_probs = true});
  loss2.backward();
  REQUIRE_CLOSE(loss2, refp["loss"], 1e-12, 1e-10);
  REQUIRE_CLOSE(s2.grad(), refp["grad_s"], 1e-12, 1e-10);
}

TEST_CASE("cross_entropy matches F.cross_entropy with ignore_index and label smoothing", "[losses][torch]") {
  auto ref = test::torch_reference("losses_cross_entropy").tensors;
  for (auto [name, eps] : {std::pair{"plain", 0.0}, std::pair{"smooth", 0.1}}) {
    INFO(name);
    Tensor z = leaf(ref["z"]);
    Tensor loss = ops::cross_entropy(z, ref["y"], {.label_smoothing = eps});
    loss.backward();
    REQUIRE_CLOSE(loss, ref[std::string("loss_") + name], 1e-12, 1e-10);
    REQUIRE_CLOSE(z.grad(), ref[std::string("grad_") + name], 1e-12, 1e-10);
    // f32 agrees within f32 rounding.
    Tensor z32 = leaf(ref["z"].to(DType::f32));
    ops::cross_entropy(z32, ref["y"], {.label_smoothing = eps}).backward();
    REQUIRE_CLOSE(z32.grad(), ref[std::string("grad_") + name], 1e-6, 1e-4);
  }
}

TEST_CASE("dml_mimicry matches per-student PyTorch terms with detached peers", "[losses][torch]") {
  auto ref = test::torch_reference("losses_dml").tensors;
  for (auto [name, mode] : {std::pair{"average", DmlMode::average}, std::pair{"sum", DmlMode::sum},
                            std::pair{"ensemble", DmlMode::ensemble}}) {
    INFO(name);
    std::vector<Tensor> z{leaf(ref["z0"]), leaf(ref["z1"]), leaf(ref["z2"])};
    Tensor losses = ops::dml_mimicry(z, 2.0, {.mode = mode});
    ops::sum(losses).backward();
    for (int k = 0; k < 3; ++k) {
      REQUIRE(losses.to_vector<double>()[static_cast<size_t>(k)] ==
              Approx(ref[fmt::format("{}_loss{}", name, k)].item()).epsilon(1e-10));
      REQUIRE_CLOSE(z[static_cast<size_t>(k)].grad(), ref[fmt::format("{}_grad{}", name, k)], 1e-12, 1e-10);
    }
  }
}

TEST_CASE("fsp_matrix and fsp_loss match torch.bmm-based FSP", "[losses][torch]") {
  auto ref = test::torch_reference("losses_fsp").tensors;
  Tensor f1 = leaf(ref["f1s"]), f2 = leaf(ref["f2s"]);
  Tensor gs = ops::fsp_matrix(f1, f2);
  Tensor gt = ops::fsp_matrix(ref["f1t"], ref["f2t"]);
  REQUIRE_CLOSE(gs, ref["gs"], 1e-12, 1e-10);
  REQUIRE_CLOSE(gt, ref["gt"], 1e-12, 1e-10);
  Tensor loss = ops::fsp_loss(gs, gt, 0.5);
  loss.backward();
  REQUIRE_CLOSE(loss, ref["loss"], 1e-12, 1e-10);
  REQUIRE_CLOSE(f1.grad(), ref["grad_f1s"], 1e-12, 1e-10);
  REQUIRE_CLOSE(f2.grad(), ref["grad_f2s"], 1e-12, 1e-10);
}
