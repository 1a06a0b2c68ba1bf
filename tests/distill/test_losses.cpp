// Distillation losses: gradient checks, dtype agreement, argument errors, analytic values.
#include <catch2/catch.hpp>
#include <cmath>

#include "core/ops/elementwise.h"
#include "core/ops/losses.h"
#include "core/ops/nn.h"
#include "core/ops/reduce.h"
#include "tests/support/gradcheck.h"
#include "tests/support/tolerance.h"

using namespace cohort;
using cohort::test::randn64;

namespace {
Tensor labels_of(std::vector<int64_t> v) { return Tensor::from_vector(v, {static_cast<int64_t>(v.size())}); }
}  // namespace

TEST_CASE("cross_entropy: gradient check, smoothing, ignore_index", "[losses]") {
  Tensor y = labels_of({0, 3, 2, -100, 1});
  for (double eps : {0.0, 0.2}) {
    ops::CrossEntropyOptions o{.label_smoothing = eps};
    auto f = [&](const std::vector<Tensor>& x) { return ops::cross_entropy(x[0], x[1], o); };
    std::vector<Tensor> in{randn64({5, 4}, 11), y};
    test::gradcheck(f, in);
    test::check_dtype_agreement(f, in);
  }
}

TEST_CASE("cross_entropy equals -log p_y averaged by hand", "[losses]") {
  Tensor z = randn64({3, 5}, 2, false);
  Tensor y = labels_of({4, 0, 2});
  Tensor logp = ops::log_softmax(z);
  std::vector<double> lp = logp.to_vector<double>();
  double expected = -(lp[4] + lp[5 + 0] + lp[10 + 2]) / 3.0;
  REQUIRE(ops::cross_entropy(z, y).item() == Approx(expected).epsilon(1e-12));
}

TEST_CASE("cross_entropy rejects bad labels and shapes", "[losses]") {
  Tensor z = randn64({2, 3}, 1, false);
  REQUIRE_THROWS_WITH(ops::cross_entropy(z, labels_of({0, 3})),
                      Catch::Contains("cross_entropy") && Catch::Contains("label 3 at row 1"));
  REQUIRE_THROWS_WITH(ops::cross_entropy(z, labels_of({0, -2})), Catch::Contains("label -2"));
  REQUIRE_THROWS_WITH(ops::cross_entropy(z, labels_of({0})), Catch::Contains("cross_entropy"));
  REQUIRE_THROWS_WITH(ops::cross_entropy(z, Tensor::zeros({2})), Catch::Contains("i64"));
  REQUIRE_THROWS_WITH(ops::cross_entropy(randn64({6}, 1, false), labels_of({0})),
                      Catch::Contains("[N, C]"));
}

TEST_CASE("kd_kl: gradients for student and (on request) teacher, logits and probabilities", "[losses]") {
  for (double T : {1.0, 4.0}) {
    auto f = [T](const std::vector<Tensor>& x) {
      return ops::kd_kl(x[0], x[1], T, {.teacher_requires_grad = true});
    };
    std::vector<Tensor> in{randn64({4, 6}, 3), randn64({4, 6}, 4)};
    test::gradcheck(f, in);
    test::check_dtype_agreement(f, in);
  }
  // Probabilities as the teacher (kept away from 0 so log p is smooth).
  auto fp = [](const std::vector<Tensor>& x) {
    return ops::kd_kl(x[0], ops::softmax(x[1]), 2.0, {.teacher_is_probs = true, .teacher_requires_grad = true});
  };
  test::gradcheck(fp, {randn64({3, 5}, 5), randn64({3, 5}, 6)});
}

TEST_CASE("kd_kl: zero for identical inputs, teacher constant by default, student gradient (T/N)(p_s - p_t)",
          "[losses]") {
  Tensor s = randn64({4, 7}, 8), t = randn64({4, 7}, 9);
  REQUIRE(std::abs(ops::kd_kl(s, s.detach(), 3.0).item()) < 1e-12);
  const double T = 3.0;
  Tensor loss = ops::kd_kl(s, t, T);
  loss.backward();
  REQUIRE_FALSE(t.grad().defined());  // the teacher is a constant
  Tensor expected = ops::mul(ops::sub(ops::softmax(ops::mul(s.detach(), 1 / T)), ops::softmax(ops::mul(t.detach(), 1 / T))),
                             T / 4.0);
  REQUIRE_CLOSE(s.grad(), expected, 1e-12, 1e-10);
  REQUIRE_THROWS_WITH(ops::kd_kl(s, randn64({4, 6}, 1), 1.0), Catch::Contains("kd_kl"));
  REQUIRE_THROWS_WITH(ops::kd_kl(s, t, 0.0), Catch::Contains("temperature"));
}

TEST_CASE("dml_mimicry: gradients equal (T/N)(p_k - mean of peers) and pass the gradient check", "[losses]") {
  const double T = 2.0;
  const int64_t N = 5;
  for (DmlMode mode : {DmlMode::average, DmlMode::sum, DmlMode::ensemble}) {
    std::vector<Tensor> z{randn64({N, 6}, 21), randn64({N, 6}, 22), randn64({N, 6}, 23)};
    Tensor losses = ops::dml_mimicry(z, T, {.mode = mode});
    REQUIRE(losses.shape() == Shape{3});
    ops::sum(losses).backward();
    for (int64_t k = 0; k < 3; ++k) {
      Tensor peers_mean = Tensor::zeros({N, 6}, DType::f64);
      for (int64_t l = 0; l < 3; ++l)
        if (l != k) peers_mean = ops::add(peers_mean, ops::mul(ops::softmax(ops::mul(z[l].detach(), 1 / T)), 0.5));
      double scale = (T / N) * (mode == DmlMode::sum ? 2.0 : 1.0);
      Tensor expected = ops::mul(ops::sub(ops::softmax(ops::mul(z[k].detach(), 1 / T)), peers_mean), scale);
      INFO("mode " << static_cast<int>(mode) << " student " << k);
      REQUIRE_CLOSE(z[k].grad(), expected, 1e-12, 1e-10);
    }
  }
  // The gradient check of one student's loss with its peers as constants.
  auto f = [](const std::vector<Tensor>& x) {
    return ops::dml_mimicry({x[0], x[1].detach(), x[2].detach()}, 3.0)[0];
  };
  test::gradcheck(f, {randn64({4, 5}, 31), randn64({4, 5}, 32, false), randn64({4, 5}, 33, false)});
  test::check_dtype_agreement([](const std::vector<Tensor>& x) { return ops::dml_mimicry(x, 1.5); },
                              {randn64({4, 5}, 34), randn64({4, 5}, 35)});
}

TEST_CASE("dml_mimicry of K=2 equals the pairwise kd_kl terms", "[losses]") {
  Tensor a = randn64({6, 4}, 41, false), b = randn64({6, 4}, 42, false);
  Tensor l = ops::dml_mimicry({a, b}, 2.0);
  REQUIRE(l.to_vector<double>()[0] == Approx(ops::kd_kl(a, b, 2.0).item()).epsilon(1e-12));
  REQUIRE(l.to_vector<double>()[1] == Approx(ops::kd_kl(b, a, 2.0).item()).epsilon(1e-12));
  REQUIRE_THROWS_WITH(ops::dml_mimicry({a}, 1.0), Catch::Contains("K >= 2"));
  REQUIRE_THROWS_WITH(ops::dml_mimicry({a, randn64({5, 4}, 1, false)}, 1.0), Catch::Contains("dml_mimicry"));
}

TEST_CASE("fsp_matrix and fsp_loss: gradient checks and shape errors", "[losses]") {
  auto g = [](const std::vector<Tensor>& x) { return ops::fsp_matrix(x[0], x[1]); };
  test::gradcheck(g, {randn64({2, 3, 4, 4}, 51), randn64({2, 5, 4, 4}, 52)});
  test::check_dtype_agreement(g, {randn64({2, 3, 4, 4}, 51), randn64({2, 5, 4, 4}, 52)});
  auto l = [](const std::vector<Tensor>& x) { return ops::fsp_loss(x[0], x[1], 0.7); };
  test::gradcheck(l, {randn64({2, 3, 5}, 53), randn64({2, 3, 5}, 54)});
  REQUIRE_THROWS_WITH(ops::fsp_matrix(randn64({2, 3, 4, 4}, 1), randn64({2, 3, 2, 2}, 1)),
                      Catch::Contains("fsp_matrix") && Catch::Contains("spatial"));
  REQUIRE_THROWS_WITH(ops::fsp_loss(randn64({2, 3, 5}, 1), randn64({2, 3, 4}, 1), 1.0),
                      Catch::Contains("fsp_loss"));
  auto h = [](const std::vector<Tensor>& x) { return ops::hint_mse(x[0], x[1]); };
  test::gradcheck(h, {randn64({2, 3, 2, 2}, 55), randn64({2, 3, 2, 2}, 56)});
}

TEST_CASE("fsp_loss is m·n times the mean-reduced loss of RepDistiller and KD-Zoo (docs/distillation.md)",
          "[losses]") {
  Generator gen(24);
  const int64_t batch = 3, m = 4, n = 6;
  Tensor gs = Tensor::randn({batch, m, n}, gen), gt = Tensor::randn({batch, m, n}, gen);
  const double lambda = 0.7;
  const double theirs = ops::mean(ops::square(ops::sub(gs, gt))).item();  // (G_s - G_t).pow(2).mean()
  CHECK(ops::fsp_loss(gs, gt, lambda).item() == Approx(lambda * m * n * theirs).epsilon(1e-6));
}
