// The single-process communicator (what `cohort train` uses without mpirun) and connect()'s
// choice of backend outside a launcher.
#include <catch2/catch.hpp>

#include "distributed/connect.h"
#include "distributed/placement.h"

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

TEST_CASE("cohort placement: block and round-robin owners, groups of ranks, too many ranks", "[distributed]") {
  using Groups = std::vector<std::vector<int>>;
  dist::Placement b = dist::place_networks(4, 2, "block");
  CHECK(b.group == Groups{{0}, {0}, {1}, {1}});
  CHECK(b.owned == Groups{{0, 1}, {2, 3}});
  CHECK(!b.split_batches());
  dist::Placement odd = dist::place_networks(3, 2, "block");
  CHECK(odd.group == Groups{{0}, {0}, {1}});
  dist::Placement rr = dist::place_networks(4, 2, "round_robin");
  CHECK(rr.group == Groups{{0}, {1}, {0}, {1}});
  CHECK(rr.owned == Groups{{0, 2}, {1, 3}});
  // Groups only change anything with more ranks than networks.
  CHECK(dist::place_networks(4, 2, "block", true).group == b.group);
  CHECK(dist::place_networks(2, 2, "block", true).group == Groups{{0}, {1}});
  CHECK(!dist::place_networks(2, 2, "block", true).split_batches());
  // More ranks than networks: each network trained by a group of ranks, each rank one network.
  dist::Placement g = dist::place_networks(2, 4, "block", true);
  CHECK(g.group == Groups{{0, 1}, {2, 3}});
  CHECK(g.owned == Groups{{0}, {0}, {1}, {1}});
  CHECK(g.root(1) == 2);
  CHECK(g.split_batches());
  CHECK(dist::place_networks(2, 3, "block", true).group == Groups{{0, 1}, {2}});
  CHECK(dist::place_networks(3, 4, "block", true).group == Groups{{0, 1}, {2}, {3}});
  CHECK(dist::place_networks(2, 5, "round_robin", true).group == Groups{{0, 2, 4}, {1, 3}});
  CHECK_THROWS_AS(dist::place_networks(2, 3, "block"), dist::ConsistentError);
  CHECK_THROWS_WITH(dist::place_networks(2, 3, "block"), Catch::Contains("3 ranks but the cohort has 2 network(s)"));
  CHECK_THROWS_WITH(dist::place_networks(2, 3, "block"), Catch::Contains("data_parallel: per_network"));
  CHECK_THROWS_WITH(dist::place_networks(2, 2, "random"), Catch::Contains("block|round_robin"));
}
