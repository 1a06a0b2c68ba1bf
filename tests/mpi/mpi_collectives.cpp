// The MPI communicator's collectives against values every rank can compute by itself, and the
// collective timeout.
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "distributed/connect.h"

using namespace cohort;

namespace {

std::shared_ptr<dist::Communicator> world() {
  static std::shared_ptr<dist::Communicator> comm = dist::connect("mpi", 30.0, Device::cpu());
  return comm;
}

}  // namespace

TEST_CASE("the MPI communicator spans every rank mpirun started", "[mpi]") {
  auto comm = world();
  REQUIRE(comm->backend() == "mpi");
  REQUIRE(comm->size() >= 2);  // these tests mean nothing on one rank
  REQUIRE(comm->rank() < comm->size());
  const char* expected = std::getenv("OMPI_COMM_WORLD_SIZE");
  REQUIRE(expected);
  CHECK(comm->size() == std::atoi(expected));
}

TEST_CASE("all_gather concatenates every rank's part in rank order, even or uneven", "[mpi]") {
  auto comm = world();
  const int P = comm->size(), r = comm->rank();
  SECTION("equal parts") {
    Tensor local = Tensor::from_vector<float>({10.f * r, 10.f * r + 1, 10.f * r + 2}, {3});
    Tensor out = Tensor::zeros({3 * P});
    comm->all_gather(local, out, std::vector<int64_t>(static_cast<size_t>(P), 3));
    std::vector<float> v = out.to_vector<float>();
    for (int q = 0; q < P; ++q)
      for (int i = 0; i < 3; ++i) CHECK(v[static_cast<size_t>(3 * q + i)] == 10.f * q + i);
  }
  SECTION("rank q sends q + 1 elements (f64)") {
    std::vector<int64_t> counts;
    int64_t total = 0;
    for (int q = 0; q < P; ++q) counts.push_back(q + 1), total += q + 1;
    std::vector<double> mine(static_cast<size_t>(r + 1), 0.5 + r);
    Tensor out = Tensor::zeros({total}, DType::f64);
    comm->all_gather(Tensor::from_vector(mine), out, counts);
    std::vector<double> v = out.to_vector<double>();
    size_t i = 0;
    for (int q = 0; q < P; ++q)
      for (int j = 0; j <= q; ++j) CHECK(v[i++] == 0.5 + q);
  }
  SECTION("a wrong count is an error before any exchange") {
    Tensor out = Tensor::zeros({2 * P});
    CHECK_THROWS_WITH(comm->all_gather(Tensor::zeros({3}), out, std::vector<int64_t>(static_cast<size_t>(P), 2)),
                      Catch::Contains("passes 3 elements but counts say 2"));
  }
}

TEST_CASE("all_reduce_sum, broadcast and the byte collectives", "[mpi]") {
  auto comm = world();
  const int P = comm->size(), r = comm->rank();
  Tensor t = Tensor::from_vector<float>({1.f, static_cast<float>(r)}, {2});
  comm->all_reduce_sum(t);
  CHECK(t.to_vector<float>() == std::vector<float>{static_cast<float>(P), static_cast<float>(P * (P - 1) / 2)});

  Tensor b = Tensor::full({4}, r == 1 ? 7.0 : -1.0, DType::i64);
  comm->broadcast(b, 1);
  CHECK(b.to_vector<int64_t>() == std::vector<int64_t>(4, 7));

  std::vector<std::string> all = comm->all_gather_bytes(std::string(static_cast<size_t>(r), 'x') + "|");
  REQUIRE(static_cast<int>(all.size()) == P);
  for (int q = 0; q < P; ++q) CHECK(all[static_cast<size_t>(q)] == std::string(static_cast<size_t>(q), 'x') + "|");
  CHECK(comm->broadcast_bytes(r == 0 ? "from rank 0" : "ignored", 0) == "from rank 0");
  comm->barrier();
}

// Last: it leaves one barrier that rank 0 gave up on, which the late ranks then complete.
TEST_CASE("a collective that a peer does not join fails after the timeout, naming it", "[mpi]") {
  auto comm = world();
  comm->barrier();
  if (comm->rank() == 0) {
    comm->set_timeout(0.5);
    const auto start = std::chrono::steady_clock::now();
    CHECK_THROWS_WITH(comm->barrier(), Catch::Contains("barrier (rank 0 of") &&
                                           Catch::Contains("no answer from the other ranks within 0.5 s"));
    const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CHECK(waited >= 0.5);
    CHECK(waited < 1.5);
  } else {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // late: rank 0 has given up
    comm->barrier();
  }
}
