// Cohort placement with groups of ranks (distributed.data_parallel: per_network): the ranks of a
// network split each batch's rows, exchange logits with the other networks' ranks and average
// their gradients. Checked against the single-process cohort of the same networks, which every
// rank computes for itself, on two-layer perceptrons without BatchNorm (so the two differ only in
// the order of the sums): losses, gathered logits and the weights after two steps, for sync and
// sequential DML and for independent training. Under mpirun -np 2 (one rank per network: the
// bits of one process) and -np 3 (network 0 on ranks 0-1 with uneven rows, network 1 on rank 2).
#include <catch2/catch.hpp>

#include "core/ops/elementwise.h"
#include "core/random.h"
#include "distill/config_fields.h"
#include "distributed/cohort_strategy.h"
#include "distributed/connect.h"
#include "layers/linear.h"
#include "tests/support/tiny_run.h"

using namespace cohort;

namespace {

class Mlp : public nn::Model {
 public:
  explicit Mlp(uint64_t seed) : nn::Model(1, 4) {
    Generator gen(seed);
    fc1_ = register_module("fc1", std::make_shared<nn::Linear>(16, 12, gen));
    fc2_ = register_module("fc2", std::make_shared<nn::Linear>(12, 5, gen));
  }
  nn::ModelOutput forward_features(const Tensor& x) override {
    Tensor h = ops::relu(fc1_->forward(x.reshape({x.size(0), 16})));
    return {fc2_->forward(h), {}, h};
  }
  std::string name() const override { return "mlp"; }

 private:
  std::shared_ptr<nn::Linear> fc1_, fc2_;
};

distill::Roster mlp_roster() {
  distill::Roster r;
  for (uint64_t k = 0; k < 2; ++k) r.students.push_back({fmt::format("net{}", k), "mlp", std::make_shared<Mlp>(100 + k)});
  return r;
}

data::Batch batch_of(int64_t rows, uint64_t seed) {
  Generator gen(seed);
  data::Batch b;
  b.images = Tensor::randn({rows, 1, 4, 4}, gen);
  std::vector<int64_t> labels;
  for (int64_t i = 0; i < rows; ++i) labels.push_back((i * 3 + static_cast<int64_t>(seed)) % 5);
  b.labels = Tensor::from_vector(labels, {rows});
  for (int64_t i = 0; i < rows; ++i) b.indices.push_back(i);
  return b;
}

void check_close(const Tensor& got, const Tensor& want, bool exact) {
  std::vector<float> g = got.to_vector<float>(), w = want.to_vector<float>();
  REQUIRE(g.size() == w.size());
  for (size_t i = 0; i < g.size(); ++i) {
    if (exact)
      CHECK(g[i] == w[i]);
    else
      CHECK(g[i] == Approx(w[i]).epsilon(1e-5).margin(1e-6));
  }
}

}  // namespace

TEST_CASE("cohort groups: each network's ranks split the batch; losses, logits and weights = one process",
          "[mpi][cohort_groups]") {
  auto world = dist::connect("mpi", 30.0, Device::cpu());
  REQUIRE(world->size() >= 2);
  for (const char* mode : {"sync", "sequential", "independent"}) {
    INFO(mode);
    distill::RunConfig cfg = test::tiny_run_config(std::string(mode) == "independent" ? "independent" : "dml");
    if (std::string(mode) == "sequential") distill::set_config_value(cfg, "strategy.update", "sequential");
    distill::set_config_value(cfg, "distributed.data_parallel", "per_network");
    distill::set_config_value(cfg, "distributed.bucket_mb", "0.0001");  // several buckets
    cfg.optimizer.lr = 0.1;

    dist::CohortStrategy spread(cfg, mlp_roster(), world);
    dist::CohortStrategy reference(cfg, mlp_roster(), dist::make_single_process());
    const bool groups = world->size() > 2;
    CHECK(spread.placement().split_batches() == groups);
    spread.begin_stage(0, {&cfg, 10});
    reference.begin_stage(0, {&cfg, 10});
    // Rows that do not split evenly over a group of two, then a batch smaller than the group.
    for (auto [rows, seed] : {std::pair<int64_t, uint64_t>{7, 1}, {1, 2}}) {
      const data::Batch batch = batch_of(rows, seed);
      distill::StepLosses got = spread.step(batch), want = reference.step(batch);
      for (size_t k = 0; k < 2; ++k) {
        check_close(got.total[k], want.total[k], !groups);
        check_close(got.logits[k], want.logits[k], !groups);
      }
    }
    spread.synchronise();  // every rank's copies become the networks' roots'
    for (size_t k = 0; k < 2; ++k) {
      NamedTensors a = spread.checkpointed()[k].second, b = reference.checkpointed()[k].second;
      REQUIRE(a.size() == b.size());
      for (size_t i = 0; i < a.size(); ++i) check_close(a[i].second, b[i].second, !groups);
    }
  }
}
