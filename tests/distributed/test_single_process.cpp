// The single-process communicator (what `cohort train` uses without mpirun) and connect()'s
// choice of backend outside a launcher.
#include <catch2/catch.hpp>

#include "distributed/connect.h"

using namespace cohort;

TEST_CASE("single-process communicator: every collective is the identity", "[distributed]") {
  auto comm = dist::make_single_process();
  CHECK(comm->rank() == 0);
  CHECK(comm->size() == 1);
  Tensor local = Tensor::from_vector<float>({1.f, 2.f, 3.f, 4.f}, {2, 2});
  Tensor out = Tensor::zeros({4});
  comm->all_gather(local, out, {4});
  CHECK(out.to_vector<float>() == std::vector<float>{1.f, 2.f, 3.f, 4.f});
  Tensor t = local.clone();
  comm->all_reduce_sum(t);
  CHECK(t.to_vector<float>() == local.to_vector<float>());
  CHECK(comm->all_gather_bytes("abc") == std::vector<std::string>{"abc"});
  CHECK_THROWS_WITH(comm->all_gather(local, out, {3}), Catch::Contains("passes 4 elements but counts say 3"));
  CHECK_THROWS_WITH(comm->broadcast(t, 1), Catch::Contains("root 1 out of range"));
  CHECK_THROWS_WITH(comm->set_timeout(0), Catch::Contains("timeout must be > 0"));
}

TEST_CASE("connect: outside a launcher every CPU backend is one process; bad names are errors",
          "[distributed]") {
  if (dist::launched_by_mpi()) return;  // started by mpirun: connect() joins it
  CHECK(dist::connect("auto", 10, Device::cpu())->backend() == "single");
  CHECK(dist::connect("mpi", 10, Device::cpu())->backend() == "single");
  CHECK(dist::connect("none", 10, Device::cpu())->size() == 1);
  CHECK_THROWS_WITH(dist::connect("gloo", 10, Device::cpu()),
                    Catch::Contains("distributed.backend must be one of auto|mpi|nccl|none, got 'gloo'"));
  CHECK_THROWS_WITH(dist::connect("nccl", 10, Device::cpu()), Catch::Contains("nccl"));
}
