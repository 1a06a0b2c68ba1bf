// CUDA parity of the fused multi-tensor optimiser updates: the same optimiser, parameters and
// gradients on CUDA and on the CPU give the same parameters and state after several steps.
// The tensor list is built to exercise every multi-tensor-apply path: empty and 1-element
// tensors, odd sizes, sizes around the 64K-element chunk, more tensors than fit in one launch
// (forcing several launches), and a tensor with more chunks than one launch holds (carried over
// to the next launch).
#include <catch2/catch.hpp>

#include "core/cuda_info.h"
#include "core/ops/elementwise.h"
#include "core/random.h"
#include "optim/adam.h"
#include "optim/sgd.h"
#include "tests/support/tolerance.h"

using namespace cohort;

namespace {

std::vector<int64_t> odd_sizes(bool with_huge) {
  std::vector<int64_t> sizes = {0, 1, 2, 3, 65535, 65536, 65537, 131073, 1000003};
  for (int64_t i = 0; i < 90; ++i) sizes.push_back((i * 7919) % 3001 + 1);
  // > 320 chunks of 64K in one tensor: the tensor spans two launches.
  if (with_huge) sizes.push_back(320 * 65536 + 12345);
  return sizes;
}

struct Twin {
  std::vector<Tensor> cpu, cuda;
};

Twin make_params(DType dtype, bool with_huge, Generator& gen) {
  Twin t;
  for (int64_t n : odd_sizes(with_huge)) {
    Tensor p = Tensor::randn({n}, gen, dtype);
    t.cpu.push_back(p);
    t.cuda.push_back(p.to(Device::cuda(0)));
  }
  return t;
}

void set_grads(Twin& t, Generator& gen) {
  for (size_t i = 0; i < t.cpu.size(); ++i) {
    Tensor g = Tensor::randn(t.cpu[i].shape(), gen, t.cpu[i].dtype());
    t.cpu[i].set_grad(g);
    // Every third parameter has no gradient on the CUDA side either: skipped by both.
    if (i % 3 == 2) {
      t.cpu[i].set_grad(Tensor());
      t.cuda[i].set_grad(Tensor());
    } else {
      t.cuda[i].set_grad(g.to(Device::cuda(0)));
    }
  }
}

void require_same(const Twin& t, const optim::Optimizer& cpu_opt, const optim::Optimizer& cuda_opt,
                  double tol) {
  for (size_t i = 0; i < t.cpu.size(); ++i) {
    INFO("parameter " << i << " of size " << t.cpu[i].numel());
    REQUIRE_CLOSE(t.cuda[i].to(Device::cpu()), t.cpu[i], tol, tol);
  }
  const optim::OptimizerState a = cpu_opt.state_dict(), b = cuda_opt.state_dict();
  REQUIRE(a.meta == b.meta);
  REQUIRE(a.tensors.size() == b.tensors.size());
  for (const auto& [key, ref] : a.tensors) {
    INFO("state " << key);
    REQUIRE_CLOSE(b.tensors.at(key).to(Device::cpu()), ref, tol, tol);
  }
}

template <typename Opt, typename Options>
void run_parity(DType dtype, bool with_huge, const Options& options, int steps) {
  Generator gen(11);
  Twin t = make_params(dtype, with_huge, gen);
  Opt cpu_opt(t.cpu, options);
  Opt cuda_opt(t.cuda, options);
  for (int k = 0; k < steps; ++k) {
    set_grads(t, gen);
    cpu_opt.step();
    cuda_opt.step();
  }
  // nvcc contracts a·b + c into FMAs, the CPU build does not: agreement to rounding, not bits.
  require_same(t, cpu_opt, cuda_opt, dtype == DType::f64 ? 1e-12 : 1e-5);
}

}  // namespace

TEST_CASE("fused CUDA SGD equals the CPU update", "[optim]") {
  for (DType dtype : {DType::f32, DType::f64}) {
    INFO("dtype " << dtype_name(dtype));
    const bool huge = dtype == DType::f32;
    run_parity<optim::SGD>(dtype, huge, optim::SGDOptions{.lr = 0.1}, 3);
    run_parity<optim::SGD>(dtype, false,
                           optim::SGDOptions{.lr = 0.1, .momentum = 0.9, .dampening = 0.2,
                                             .weight_decay = 0.01},
                           3);
    run_parity<optim::SGD>(dtype, huge,
                           optim::SGDOptions{.lr = 0.05, .momentum = 0.9, .nesterov = true,
                                             .weight_decay = 5e-4},
                           3);
  }
}

TEST_CASE("fused CUDA Adam and AdamW equal the CPU update", "[optim]") {
  for (DType dtype : {DType::f32, DType::f64}) {
    INFO("dtype " << dtype_name(dtype));
    const bool huge = dtype == DType::f32;
    run_parity<optim::Adam>(dtype, false, optim::AdamOptions{.lr = 1e-2, .weight_decay = 0.01}, 3);
    run_parity<optim::Adam>(dtype, huge,
                            optim::AdamOptions{.lr = 1e-2, .betas = {0.5, 0.999}, .amsgrad = true},
                            3);
    run_parity<optim::AdamW>(dtype, huge, optim::AdamWOptions{.lr = 1e-2, .amsgrad = true}, 3);
  }
}

TEST_CASE("the fused updates run on the parameters' device, not the thread's current one", "[optim][multi_gpu]") {
  if (cuda_device_count() < 2) {
    WARN("one GPU: the cuda:1 case needs two (nothing checked here)");
    return;
  }
  // cuda:0 stays current while the parameters live on cuda:1: without the device guard the
  // update would launch on cuda:0 with cuda:1 pointers.
  const Device dev1 = Device::cuda(1);
  Generator gen(11);
  Tensor cpu_p = Tensor::randn({4097}, gen), g = Tensor::randn({4097}, gen);
  Tensor p1 = cpu_p.to(dev1);
  cpu_p.set_grad(g);
  p1.set_grad(g.to(dev1));
  const std::vector<Tensor> cpu_params = {cpu_p}, cuda_params = {p1};
  optim::SGD cpu_opt(cpu_params, optim::SGDOptions{.lr = 0.1, .momentum = 0.9});
  optim::SGD cuda_opt(cuda_params, optim::SGDOptions{.lr = 0.1, .momentum = 0.9});
  for (int step = 0; step < 2; ++step) cpu_opt.step(), cuda_opt.step();
  REQUIRE_CLOSE(p1.to(Device::cpu()), cpu_p, 1e-6, 1e-6);
}
