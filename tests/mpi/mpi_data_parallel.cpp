// Data parallelism's gradient averaging against the single-process gradient of the whole batch,
// which every rank computes for itself: a two-layer perceptron (no BatchNorm, so the two differ
// only in the order of the sums), with a batch that does not split evenly.
#include <catch2/catch.hpp>

#include "core/ops/elementwise.h"
#include "core/ops/linalg.h"
#include "core/ops/losses.h"
#include "core/random.h"
#include "distributed/connect.h"
#include "distributed/data_parallel.h"
#include "distributed/grad_average.h"

using namespace cohort;

namespace {

struct Mlp {
  Tensor w1, b1, w2, b2;
  explicit Mlp(uint64_t seed) {
    Generator gen(seed);
    w1 = Tensor::randn({16, 8}, gen).requires_grad_();
    b1 = Tensor::randn({16}, gen).requires_grad_();
    w2 = Tensor::randn({5, 16}, gen).requires_grad_();
    b2 = Tensor::randn({5}, gen).requires_grad_();
  }
  std::vector<Tensor> params() const { return {w1, b1, w2, b2}; }
  Tensor loss(const Tensor& x, const Tensor& y) const {
    return ops::cross_entropy(ops::linear(ops::relu(ops::linear(x, w1, b1)), w2, b2), y);
  }
};

}  // namespace

TEST_CASE("data parallelism: rows split over ranks, averaged gradients = the whole batch's gradient",
          "[mpi][data_parallel]") {
  auto comm = dist::connect("mpi", 30.0, Device::cpu());
  REQUIRE(comm->size() >= 2);
  const int64_t B = 2 * comm->size() + 1;  // uneven shares
  Generator gen(7);
  Tensor x = Tensor::randn({B, 8}, gen);
  std::vector<int64_t> labels;
  for (int64_t i = 0; i < B; ++i) labels.push_back((i * 3) % 5);
  Tensor y = Tensor::from_vector(labels, {B});

  Mlp reference(11);
  reference.loss(x, y).backward();

  for (size_t bucket_bytes : {size_t{64}, size_t{1} << 20}) {  // many buckets, one bucket
    Mlp mine(11);
    auto [begin, end] = dist::rank_rows(B, comm->rank(), comm->size());
    REQUIRE(end > begin);
    mine.loss(x.slice(begin, end), y.slice(begin, end)).backward();
    dist::GradientAverager averager(comm, bucket_bytes);
    averager.reduce(mine.params(), static_cast<double>(end - begin) / static_cast<double>(B));
    CHECK(averager.last_bytes() == (16 * 8 + 16 + 5 * 16 + 5) * sizeof(float));
    for (size_t i = 0; i < mine.params().size(); ++i) {
      std::vector<float> got = mine.params()[i].grad().to_vector<float>();
      std::vector<float> want = reference.params()[i].grad().to_vector<float>();
      REQUIRE(got.size() == want.size());
      for (size_t j = 0; j < got.size(); ++j) CHECK(got[j] == Approx(want[j]).epsilon(1e-5).margin(1e-6));
    }
  }
}

TEST_CASE("rank_rows covers a batch once, in rank order", "[mpi][data_parallel]") {
  for (int ranks : {2, 3}) {
    for (int64_t rows : {1, 2, 7, 9, 64}) {
      int64_t next = 0;
      for (int r = 0; r < ranks; ++r) {
        auto [b, e] = dist::rank_rows(rows, r, ranks);
        if (rows < ranks) {
          CHECK((b == 0 && e == rows));  // too few rows: every rank takes them all
          continue;
        }
        CHECK(b == next);
        CHECK(e - b >= rows / ranks);
        next = e;
      }
      if (rows >= ranks) CHECK(next == rows);
    }
  }
}
