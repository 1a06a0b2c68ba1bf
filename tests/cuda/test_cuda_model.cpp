// Whole-model CUDA parity: the same network (same initial weights) on the CPU and on CUDA gives
// the same logits, loss, parameter gradients, BN running statistics and SGD step, in training
// and in eval mode. This is the test that catches what per-op tests miss: the ops composed.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/ops/losses.h"
#include "layers/models/registry.h"
#include "optim/sgd.h"
#include "tests/cuda/parity.h"

using namespace cohort;
using test::kCpu;
using test::kGpu;
using test::Tol;

namespace {

// Builds `name` twice from the same seed (identical weights), converts both to `dtype` and
// moves the second to the GPU.
std::pair<std::shared_ptr<nn::Model>, std::shared_ptr<nn::Model>> twins(const std::string& name,
                                                                        const nn::ModelOptions& options,
                                                                        DType dtype) {
  Generator g1(2024), g2(2024);
  auto cpu = nn::make_model(name, 10, options, g1);
  auto gpu = nn::make_model(name, 10, options, g2);
  cpu->to(dtype);
  gpu->to(dtype);
  gpu->to(kGpu);
  return {cpu, gpu};
}

void require_same_state(const nn::Model& cpu, const nn::Model& gpu, Tol tol) {
  const NamedTensors a = cpu.state_dict(), b = gpu.state_dict();
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    INFO("state " << a[i].first);
    REQUIRE(a[i].first == b[i].first);
    REQUIRE_CLOSE(test::from_gpu(b[i].second), a[i].second, tol.atol, tol.rtol);
  }
}

void require_same_grads(const nn::Model& cpu, const nn::Model& gpu, Tol tol) {
  const NamedTensors a = cpu.named_parameters(), b = gpu.named_parameters();
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    INFO("gradient of " << a[i].first);
    REQUIRE(a[i].second.grad().defined());
    REQUIRE_CLOSE(test::from_gpu(b[i].second.grad()), a[i].second.grad(), tol.atol, tol.rtol);
  }
}

// One training step (forward in train mode, cross-entropy, backward, SGD with momentum), then an
// eval-mode forward, on both devices.
void check_model(const std::string& name, const nn::ModelOptions& options, DType dtype, Tol fwd, Tol bwd) {
  INFO(name << " " << dtype_name(dtype));
  test::Tf32Guard fp32(false, false);
  auto [cpu, gpu] = twins(name, options, dtype);
  require_same_state(*cpu, *gpu, Tol{0, 0});

  const int64_t N = 8;
  const int64_t side = cpu->input_size();
  Tensor x = test::randn({N, 3, side, side}, dtype, 7);
  Generator gen(8);
  std::vector<int64_t> y_host;
  for (int64_t n = 0; n < N; ++n) y_host.push_back(static_cast<int64_t>(gen.randint(10)));
  Tensor y = Tensor::from_vector(y_host, {N});

  cpu->train();
  gpu->train();
  Tensor logits_c = cpu->forward(x), logits_g = gpu->forward(x.to(kGpu));
  REQUIRE_CLOSE(test::from_gpu(logits_g), logits_c, fwd.atol, fwd.rtol);
  Tensor loss_c = ops::cross_entropy(logits_c, y), loss_g = ops::cross_entropy(logits_g, y.to(kGpu));
  REQUIRE_CLOSE(test::from_gpu(loss_g), loss_c, fwd.atol, fwd.rtol);
  loss_c.backward();
  loss_g.backward();
  require_same_grads(*cpu, *gpu, bwd);
  // Running statistics and num_batches_tracked after one training forward.
  require_same_state(*cpu, *gpu, fwd);

  optim::SGDOptions sgd{.lr = 0.1, .momentum = 0.9, .weight_decay = 5e-4};
  optim::SGD opt_c(cpu->parameters(), sgd), opt_g(gpu->parameters(), sgd);
  opt_c.step();
  opt_g.step();
  require_same_state(*cpu, *gpu, bwd);

  cpu->eval();
  gpu->eval();
  NoGradGuard no_grad;
  // After the step the weights agree to the gradients' tolerance, so the logits do too.
  REQUIRE_CLOSE(test::from_gpu(gpu->forward(x.to(kGpu))), cpu->forward(x), bwd.atol, bwd.rtol);
}

}  // namespace

TEST_CASE("resnet8 on CUDA matches the CPU: train step, BN statistics, SGD, eval", "[cuda][model]") {
  check_model("resnet8", {}, DType::f64, Tol{1e-10, 1e-9}, Tol{1e-9, 1e-8});
  // f32: differences of 1e-7 grow through 7 conv/BN layers and batch statistics of 8 images.
  check_model("resnet8", {}, DType::f32, Tol{1e-4, 1e-3}, Tol{1e-3, 1e-2});
}

TEST_CASE("resnet8 with projection shortcuts on CUDA matches the CPU", "[cuda][model]") {
  check_model("resnet8", nn::ModelOptions{.shortcut_b = true}, DType::f64, Tol{1e-10, 1e-9}, Tol{1e-9, 1e-8});
}

TEST_CASE("mobilenet (depthwise convolutions) on CUDA matches the CPU", "[cuda][model]") {
  check_model("mobilenet", nn::ModelOptions{.width = 0.25}, DType::f64, Tol{1e-10, 1e-9}, Tol{1e-9, 1e-8});
}
