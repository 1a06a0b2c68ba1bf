// Checkpoints: train N steps, checkpoint, train M more; versus restore into a fresh model,
// optimiser and schedule and train M — the parameters must be bit-identical. Two models with
// different optimisers (a DML-style cohort) share one file.
#include <catch2/catch.hpp>
#include <filesystem>

#include "core/ops/elementwise.h"
#include "core/random.h"
#include "core/safetensors.h"
#include "optim/adam.h"
#include "optim/checkpoint.h"
#include "optim/param_groups.h"
#include "optim/sgd.h"
#include "tests/support/torch_refs.h"

using namespace cohort;
using Catch::Contains;

namespace {

constexpr int kLateStart = 6;  // "late.weight" has no gradient (and no state) before this step

// A tiny "model": parameters plus a buffer that is saved but not optimised.
struct Model {
  NamedTensors params;
  Tensor running_mean;

  explicit Model(uint64_t seed) {
    Generator gen(seed);
    params = {{"fc.weight", Tensor::randn({3, 4}, gen, DType::f64)},
              {"fc.bias", Tensor::randn({3}, gen, DType::f64)},
              {"late.weight", Tensor::randn({5, 2}, gen, DType::f64)}};
    running_mean = Tensor::randn({3}, gen, DType::f64);
  }
  NamedTensors state() const {
    NamedTensors s = params;
    s.emplace_back("bn.running_mean", running_mean);
    return s;
  }
  std::vector<Tensor> tensors() const {
    std::vector<Tensor> out;
    for (const auto& [name, p] : params) out.push_back(p);
    return out;
  }
};

// The gradients of step k depend on the parameters and on a generator seeded by k, so a
// resumed run sees exactly the gradients the uninterrupted run saw.
void set_grads(Model& m, int k, uint64_t salt) {
  Generator gen(1000 * salt + static_cast<uint64_t>(k));
  for (auto& [name, p] : m.params) {
    Tensor noise = Tensor::randn(p.shape(), gen, DType::f64);
    const bool has_grad = name != "late.weight" || k >= kLateStart;
    p.set_grad(has_grad ? (p * 0.8 - 0.3 + noise * 0.1).detach() : Tensor());
  }
  m.running_mean.copy_(m.running_mean * 0.9 + 0.01 * k);
}

// The cohort: model 0 with SGD-Nesterov on decay/no-decay groups and warm-up + cosine,
// model 1 with AdamW(amsgrad) and a multi-step schedule.
struct Cohort {
  Model m0, m1;
  optim::SGD sgd;
  optim::AdamW adamw;
  optim::LrScheduler s0, s1;

  explicit Cohort(uint64_t seed)
      : m0(seed),
        m1(seed + 1),
        sgd(optim::split_weight_decay(m0.params, 5e-4),
            {.lr = 0.1, .momentum = 0.9, .nesterov = true}),
        adamw(m1.tensors(), {.lr = 0.01, .weight_decay = 0.05, .amsgrad = true}),
        s0(sgd, optim::linear_warmup(3, 0.1, optim::cosine_annealing(20))),
        s1(adamw, optim::multi_step({5, 8}, 0.5)) {}

  void train(int from, int to) {
    for (int k = from; k < to; ++k) {
      set_grads(m0, k, 1);
      set_grads(m1, k, 2);
      sgd.step();
      adamw.step();
      s0.step();
      s1.step();
    }
  }
  optim::CheckpointParts parts() {
    return {{m0.state(), m1.state()}, {&sgd, &adamw}, {&s0, &s1}};
  }
};

std::vector<std::vector<double>> values(const Cohort& c) {
  std::vector<std::vector<double>> out;
  for (const Model* m : {&c.m0, &c.m1})
    for (const auto& [name, t] : m->state()) out.push_back(t.to_vector<double>());
  return out;
}

std::string checkpoint_path(const std::string& name) {
  return (std::filesystem::path(test::temp_dir()) / name).string();
}

}  // namespace

TEST_CASE("resuming from a checkpoint continues training bit-exactly", "[optim]") {
  const int N = 4, M = 7;  // the checkpoint comes before late.weight has any optimiser state
  const std::string path = checkpoint_path("resume.safetensors");

  Cohort straight(42);
  straight.train(0, N);
  optim::save_checkpoint(path, straight.parts(), {{"step", N}});
  const double lr_at_checkpoint = straight.sgd.lr(0);
  straight.train(N, N + M);

  Cohort resumed(7);  // different initial values everywhere
  const nlohmann::json extra = optim::load_checkpoint(path, resumed.parts());
  REQUIRE(extra["step"] == N);
  REQUIRE(resumed.s0.last_step() == N);
  REQUIRE(resumed.sgd.lr(0) == lr_at_checkpoint);
  resumed.train(N, N + M);

  REQUIRE(values(resumed) == values(straight));
  for (size_t g = 0; g < 2; ++g) REQUIRE(resumed.sgd.lr(g) == straight.sgd.lr(g));
  REQUIRE(resumed.adamw.step_count(2) == straight.adamw.step_count(2));
  REQUIRE(resumed.adamw.step_count(0) == N + M);
}

TEST_CASE("checkpoint files name tensors model.<k>.<name> and optim.<k>.state.<i>.<buffer>",
          "[optim]") {
  const std::string path = checkpoint_path("layout.safetensors");
  Cohort c(1);
  c.train(0, kLateStart + 1);
  optim::save_checkpoint(path, c.parts(), {{"epoch", 3}});
  safetensors::Contents file = safetensors::load(path);
  for (const char* key :
       {"model.0.fc.weight", "model.0.fc.bias", "model.0.late.weight", "model.0.bn.running_mean",
        "model.1.fc.weight", "optim.0.state.0.momentum_buffer",
        "optim.0.state.2.momentum_buffer", "optim.1.state.0.exp_avg",
        "optim.1.state.1.exp_avg_sq", "optim.1.state.2.max_exp_avg_sq"})
    REQUIRE(file.tensors.count(key) == 1);
  // SGD's groups are [fc.weight, late.weight] (decay) and [fc.bias]: flattened index 2 is fc.bias.
  REQUIRE(file.tensors.at("optim.0.state.2.momentum_buffer").shape() == Shape{3});
  REQUIRE(file.tensors.size() == 8 + 3 + 9);
  const auto doc = nlohmann::json::parse(file.metadata.at("cohort.checkpoint"));
  REQUIRE(doc["format"] == 2);
  REQUIRE(doc["models"] == nlohmann::json::array({4, 4}));
  REQUIRE(doc["optimizers"][1]["optimizer"] == "AdamW");
  REQUIRE(doc["optimizers"][1]["state"]["2"]["step"] == 1);
  REQUIRE(doc["schedulers"][0]["last_step"] == kLateStart + 1);
  REQUIRE(doc["extra"]["epoch"] == 3);
}

TEST_CASE("load_checkpoint rejects files that do not match the given parts", "[optim]") {
  const std::string path = checkpoint_path("mismatch.safetensors");
  Cohort c(1);
  c.train(0, 2);
  optim::save_checkpoint(path, c.parts());

  Cohort other(2);
  optim::CheckpointParts fewer = other.parts();
  fewer.optimizers.pop_back();
  REQUIRE_THROWS_WITH(optim::load_checkpoint(path, fewer),
                      Contains("mismatch.safetensors") && Contains("2 models, 2 optimisers"));

  optim::CheckpointParts renamed = other.parts();
  renamed.models[1][0].first = "head.weight";
  REQUIRE_THROWS_WITH(optim::load_checkpoint(path, renamed),
                      Contains("missing tensor 'model.1.head.weight'"));

  optim::CheckpointParts reshaped = other.parts();
  reshaped.models[0][1].second = Tensor::zeros({4}, DType::f64);
  REQUIRE_THROWS_WITH(optim::load_checkpoint(path, reshaped),
                      Contains("model.0.fc.bias") && Contains("[3]") && Contains("[4]"));

  optim::CheckpointParts partial = other.parts();
  partial.models[0].pop_back();  // bn.running_mean is in the file but not in the model
  REQUIRE_THROWS_WITH(optim::load_checkpoint(path, partial),
                      Contains("unexpected tensor 'model.0.bn.running_mean'"));

  const std::string plain = checkpoint_path("plain.safetensors");
  safetensors::save(plain, {{"w", Tensor::zeros({2})}});
  REQUIRE_THROWS_WITH(optim::load_checkpoint(plain, other.parts()),
                      Contains("not a cohort checkpoint"));
  for (const char* bad : {"{\"format\": 1}", "not json", "{\"format\": 1, \"models\": 3}"}) {
    INFO("metadata " << bad);
    safetensors::save(plain, {{"w", Tensor::zeros({2})}}, {{"cohort.checkpoint", bad}});
    REQUIRE_THROWS_AS(optim::load_checkpoint(plain, other.parts()), IOError);
    REQUIRE_THROWS_WITH(optim::load_checkpoint(plain, other.parts()),
                        Contains("plain.safetensors") && Contains("malformed"));
  }
}
