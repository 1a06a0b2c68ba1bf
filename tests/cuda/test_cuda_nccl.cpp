// The nccl backend as a one-rank communicator on GPU 0 (no MPI): what the GPU check runs so the
// backend's code has executed at least once (scripts/gpu-check.sh, step nccl_one_rank). Hidden
// from the plain run ("[.nccl]") since it needs libnccl.so.2 on the library path.
#include <catch2/catch.hpp>

#ifdef COHORT_WITH_NCCL

#include "core/autograd.h"
#include "distributed/connect.h"
#include "distributed/exchange.h"
#include "distributed/grad_average.h"

using namespace cohort;

TEST_CASE("nccl: a one-rank communicator's collectives on GPU tensors", "[.nccl][nccl]") {
  const Device gpu = Device::cuda(0);
  auto comm = dist::connect("nccl", 30.0, gpu);
  REQUIRE(comm->backend() == "nccl");
  REQUIRE(comm->size() == 1);
  REQUIRE(comm->rank() == 0);

  Tensor local = Tensor::from_vector<float>({1.f, 2.f, 3.f}, {3}).to(gpu);
  Tensor out = Tensor::zeros({3}, DType::f32, gpu);
  comm->all_gather(local, out, {3});
  CHECK(out.to(Device::cpu()).to_vector<float>() == std::vector<float>{1.f, 2.f, 3.f});

  Tensor t = Tensor::from_vector<double>({0.5, -2.0}, {2}).to(gpu);
  comm->all_reduce_sum(t);
  CHECK(t.to(Device::cpu()).to_vector<double>() == std::vector<double>{0.5, -2.0});
  comm->broadcast(t, 0);
  comm->barrier();
  CHECK(comm->all_gather_bytes("x") == std::vector<std::string>{"x"});
  Tensor on_cpu = Tensor::zeros({2});
  CHECK_THROWS_WITH(comm->all_reduce_sum(on_cpu), Catch::Contains("exchanges tensors on cuda:0"));

  // The exchange helpers and a data-parallel gradient average (weight 1 on one rank: unchanged).
  std::vector<Tensor> parts = dist::all_gather_parts(*comm, {Tensor::full({2, 2}, 4.0, DType::f32, gpu)}, {2, 2},
                                                     DType::f32, {1}, gpu);
  REQUIRE(parts.size() == 1);
  CHECK(parts[0].to(Device::cpu()).to_vector<float>() == std::vector<float>(4, 4.f));
  Tensor w = Tensor::zeros({5}, DType::f32, gpu).requires_grad_();
  w.set_grad(Tensor::full({5}, 0.25, DType::f32, gpu));
  dist::GradientAverager averager(comm, 8);  // a bucket smaller than the gradient still takes it whole
  averager.reduce({w}, 1.0);
  CHECK(averager.last_bytes() == 5 * sizeof(float));
  CHECK(w.grad().to(Device::cpu()).to_vector<float>() == std::vector<float>(5, 0.25f));
}

#endif
