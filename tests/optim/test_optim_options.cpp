// Option validation, parameter groups, gradient skipping, state_dict contents and schedules.
#include <catch2/catch.hpp>

#include "core/ops/elementwise.h"
#include "core/random.h"
#include "optim/adam.h"
#include "optim/param_groups.h"
#include "optim/scheduler.h"
#include "optim/sgd.h"
#include "tests/support/tolerance.h"

using namespace cohort;
using Catch::Contains;

namespace {

std::vector<Tensor> some_params(DType dtype = DType::f64) {
  Generator gen(7);
  return {Tensor::randn({3, 4}, gen, dtype), Tensor::randn({3}, gen, dtype)};
}

}  // namespace

TEST_CASE("SGD rejects bad options, naming the option and value", "[optim]") {
  using optim::SGD;
  using optim::SGDOptions;
  REQUIRE_THROWS_AS(SGD(some_params(), SGDOptions{.lr = -0.1}), ValueError);
  REQUIRE_THROWS_WITH(SGD(some_params(), SGDOptions{.lr = -0.1}),
                      Contains("SGD") && Contains("lr = -0.1"));
  REQUIRE_THROWS_WITH(SGD(some_params(), SGDOptions{}), Contains("SGD") && Contains("lr = nan"));
  REQUIRE_THROWS_WITH(SGD(some_params(), SGDOptions{.lr = 0.1, .momentum = -0.9}),
                      Contains("momentum = -0.9"));
  REQUIRE_THROWS_WITH(SGD(some_params(), SGDOptions{.lr = 0.1, .weight_decay = -1e-4}),
                      Contains("weight_decay = -0.0001"));
  REQUIRE_THROWS_WITH(SGD(some_params(), SGDOptions{.lr = 0.1, .nesterov = true}),
                      Contains("nesterov") && Contains("momentum = 0"));
  REQUIRE_THROWS_WITH(
      SGD(some_params(), SGDOptions{.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .nesterov = true}),
      Contains("nesterov") && Contains("dampening = 0.1"));
  REQUIRE_NOTHROW(SGD(some_params(), SGDOptions{.lr = 0.1, .momentum = 0.9, .nesterov = true}));
}

TEST_CASE("Adam and AdamW reject bad options, naming the option and value", "[optim]") {
  using optim::Adam;
  using optim::AdamOptions;
  using optim::AdamW;
  using optim::AdamWOptions;
  REQUIRE_THROWS_WITH(Adam(some_params(), AdamOptions{.lr = -1e-3}), Contains("Adam: invalid lr"));
  REQUIRE_THROWS_WITH(Adam(some_params(), AdamOptions{.betas = {1.0, 0.999}}),
                      Contains("betas[0] = 1") && Contains("[0, 1)"));
  REQUIRE_THROWS_WITH(Adam(some_params(), AdamOptions{.betas = {0.9, -0.1}}),
                      Contains("betas[1] = -0.1"));
  REQUIRE_THROWS_WITH(Adam(some_params(), AdamOptions{.eps = -1e-8}), Contains("eps = -1e-08"));
  REQUIRE_THROWS_WITH(Adam(some_params(), AdamOptions{.weight_decay = -0.5}),
                      Contains("weight_decay = -0.5"));
  REQUIRE_THROWS_WITH(AdamW(some_params(), AdamWOptions{.betas = {0.9, 1.5}}),
                      Contains("AdamW") && Contains("betas[1] = 1.5"));
  REQUIRE(AdamW(some_params()).options(0).weight_decay == 1e-2);  // PyTorch's AdamW default
  REQUIRE(Adam(some_params()).options(0).weight_decay == 0);
}

TEST_CASE("parameter groups: overrides, validation and bad parameter lists", "[optim]") {
  auto p = some_params();
  optim::SGD sgd({{{p[0]}, {}}, {{p[1]}, {.lr = 0.5, .momentum = 0.0}}},
                 {.lr = 0.1, .momentum = 0.9});
  REQUIRE(sgd.num_param_groups() == 2);
  REQUIRE(sgd.options(0).lr == 0.1);
  REQUIRE(sgd.options(0).momentum == 0.9);
  REQUIRE(sgd.options(1).lr == 0.5);
  REQUIRE(sgd.options(1).momentum == 0.0);

  REQUIRE_THROWS_WITH(optim::SGD({{{p[0]}, {}}, {{p[1]}, {.lr = -1.0}}}, {.lr = 0.1}),
                      Contains("parameter group 1") && Contains("lr = -1"));
  REQUIRE_THROWS_WITH(optim::SGD({{p, {.beta1 = 0.5}}}, {.lr = 0.1}),
                      Contains("SGD does not have"));
  REQUIRE_THROWS_WITH(optim::Adam({{p, {.momentum = 0.9}}}), Contains("Adam does not have"));
  REQUIRE_THROWS_WITH(optim::Adam({{p, {.beta1 = 1.0}}}),
                      Contains("parameter group 0") && Contains("betas[0] = 1"));
  REQUIRE_THROWS_WITH(optim::SGD(std::vector<Tensor>{}, {.lr = 0.1}),
                      Contains("empty parameter list"));
  REQUIRE_THROWS_WITH(optim::SGD({{{p[0]}, {}}, {{p[0]}, {}}}, {.lr = 0.1}),
                      Contains("more than once"));
  REQUIRE_THROWS_WITH(optim::SGD({Tensor::zeros({2}, DType::i64)}, {.lr = 0.1}),
                      Contains("dtype i64"));
  REQUIRE_THROWS_WITH(sgd.set_lr(0, -0.5), Contains("lr = -0.5"));
  sgd.set_lr(1, 0.25);
  REQUIRE(sgd.lr(1) == 0.25);
}

TEST_CASE("split_weight_decay: biases and 1-D parameters are not decayed", "[optim]") {
  NamedTensors named = {{"conv1.weight", Tensor::zeros({4, 3, 3, 3})},
                        {"layer1.0.bn1.weight", Tensor::zeros({4})},
                        {"layer1.0.bn1.bias", Tensor::zeros({4})},
                        {"proj.bias", Tensor::zeros({2, 2})},  // a bias by name, whatever its shape
                        {"fc.weight", Tensor::zeros({10, 4})},
                        {"fc.bias", Tensor::zeros({10})},
                        {"scale", Tensor::scalar(1.0)}};
  auto groups = optim::split_weight_decay(named, 5e-4);
  REQUIRE(groups.size() == 2);
  auto same = [](const std::vector<Tensor>& got, std::vector<size_t> idx,
                 const NamedTensors& all) {
    if (got.size() != idx.size()) return false;
    for (size_t i = 0; i < idx.size(); ++i)
      if (!got[i].same(all[idx[i]].second)) return false;
    return true;
  };
  REQUIRE(same(groups[0].params, {0, 4}, named));
  REQUIRE(same(groups[1].params, {1, 2, 3, 5, 6}, named));
  REQUIRE(groups[0].options.weight_decay == 5e-4);
  REQUIRE(groups[1].options.weight_decay == 0.0);
  REQUIRE_THROWS_WITH(optim::split_weight_decay(named, -1.0), Contains("weight_decay = -1"));

  // The groups feed an optimiser directly; its default weight decay is overridden per group.
  optim::SGD sgd(groups, {.lr = 0.1, .momentum = 0.9, .weight_decay = 1.0});
  REQUIRE(sgd.options(0).weight_decay == 5e-4);
  REQUIRE(sgd.options(1).weight_decay == 0.0);
}

TEST_CASE("parameters without a gradient are skipped and get no state", "[optim]") {
  auto p = some_params();
  const std::vector<double> before = p[1].to_vector<double>();
  optim::SGD sgd(p, {.lr = 0.1, .momentum = 0.9});
  optim::Adam adam(p, {.lr = 0.1});
  p[0].set_grad(Tensor::ones(p[0].shape(), DType::f64));
  sgd.step();
  adam.step();
  REQUIRE(p[1].to_vector<double>() == before);
  REQUIRE(sgd.momentum_buffer(0).defined());
  REQUIRE(!sgd.momentum_buffer(1).defined());
  REQUIRE(adam.step_count(0) == 1);
  REQUIRE(adam.step_count(1) == 0);
  optim::OptimizerState st = adam.state_dict();
  REQUIRE(st.tensors.count("state.0.exp_avg") == 1);
  REQUIRE(st.tensors.count("state.1.exp_avg") == 0);
  REQUIRE(!st.meta["state"].contains("1"));

  // zero_grad: set_to_none drops the gradient, otherwise it is zeroed in place.
  Tensor g = p[0].grad();
  sgd.zero_grad(false);
  REQUIRE(p[0].grad().same(g));
  for (double v : g.to_vector<double>()) REQUIRE(v == 0.0);
  sgd.zero_grad();
  REQUIRE(!p[0].grad().defined());
}

TEST_CASE("f32 updates agree with f64 updates", "[optim]") {
  auto run = [](DType dtype, bool adam) {
    Generator gen(3);
    Tensor p = Tensor::randn({257}, gen, DType::f64).to(dtype);
    std::unique_ptr<optim::Optimizer> opt;
    if (adam)
      opt = std::make_unique<optim::Adam>(std::vector<Tensor>{p},
                                          optim::AdamOptions{.lr = 0.01, .weight_decay = 0.01,
                                                             .amsgrad = true});
    else
      opt = std::make_unique<optim::SGD>(
          std::vector<Tensor>{p},
          optim::SGDOptions{.lr = 0.05, .momentum = 0.9, .nesterov = true, .weight_decay = 0.01});
    for (int k = 0; k < 10; ++k) {
      p.set_grad((p * 0.5 + Tensor::randn({257}, gen, DType::f64).to(dtype) * 0.1).detach());
      opt->step();
    }
    return p.to(DType::f64);
  };
  REQUIRE_CLOSE(run(DType::f32, false), run(DType::f64, false), 1e-5, 1e-5);
  REQUIRE_CLOSE(run(DType::f32, true), run(DType::f64, true), 1e-5, 1e-5);
}

TEST_CASE("state_dict names buffers by parameter index — load_state_dict checks the structure",
          "[optim]") {
  auto p = some_params();
  for (Tensor& t : p) t.set_grad(Tensor::ones(t.shape(), DType::f64));
  optim::Adam adam(p, {.lr = 0.01, .amsgrad = true});
  adam.step();
  adam.step();
  optim::OptimizerState st = adam.state_dict();
  for (const char* key : {"state.0.exp_avg", "state.0.exp_avg_sq", "state.0.max_exp_avg_sq",
                          "state.1.exp_avg", "state.1.exp_avg_sq", "state.1.max_exp_avg_sq"})
    REQUIRE(st.tensors.count(key) == 1);
  REQUIRE(st.meta["optimizer"] == "Adam");
  REQUIRE(st.meta["state"]["1"]["step"] == 2);
  REQUIRE(st.meta["param_groups"][0]["params"] == nlohmann::json::array({0, 1}));
  REQUIRE(st.meta["param_groups"][0]["amsgrad"] == true);

  // state_dict copies: later steps do not change a saved state.
  const std::vector<double> saved = st.tensors.at("state.0.exp_avg").to_vector<double>();
  adam.step();
  REQUIRE(st.tensors.at("state.0.exp_avg").to_vector<double>() == saved);

  optim::Adam other(some_params(), {.lr = 0.5});
  other.load_state_dict(st);
  REQUIRE(other.lr(0) == 0.01);
  REQUIRE(other.step_count(1) == 2);
  REQUIRE(other.options(0).amsgrad);

  optim::SGD sgd(some_params(), {.lr = 0.1, .momentum = 0.9});
  REQUIRE_THROWS_WITH(sgd.load_state_dict(st), Contains("optimiser type Adam"));
  optim::AdamW adamw(some_params());
  REQUIRE_THROWS_WITH(adamw.load_state_dict(st), Contains("AdamW.load_state_dict") && Contains("type Adam"));
  auto q = some_params();
  optim::Adam two_groups({{{q[0]}, {}}, {{q[1]}, {}}});
  REQUIRE_THROWS_WITH(two_groups.load_state_dict(st), Contains("1 parameter groups, this optimiser 2"));
  optim::Adam wrong_shape({Tensor::zeros({4, 3}, DType::f64), Tensor::zeros({3}, DType::f64)});
  REQUIRE_THROWS_WITH(wrong_shape.load_state_dict(st),
                      Contains("state.0.exp_avg") && Contains("[3, 4]") && Contains("[4, 3]"));
  optim::OptimizerState bad = st;
  bad.tensors["state.7.exp_avg"] = Tensor::zeros({3}, DType::f64);
  REQUIRE_THROWS_WITH(other.load_state_dict(bad), Contains("unexpected tensor 'state.7.exp_avg'"));
  optim::OptimizerState malformed = st;
  malformed.meta["param_groups"][0]["lr"] = "fast";
  REQUIRE_THROWS_AS(other.load_state_dict(malformed), ValueError);
  REQUIRE_THROWS_WITH(other.load_state_dict(malformed), Contains("malformed state metadata"));
}

TEST_CASE("schedules: validation, stepping and state", "[optim]") {
  REQUIRE_THROWS_WITH(optim::step_lr(0, 0.1), Contains("step_lr") && Contains("step_size = 0"));
  REQUIRE_THROWS_WITH(optim::step_lr(5, -0.1), Contains("gamma = -0.1"));
  REQUIRE_THROWS_WITH(optim::multi_step({10, -1}), Contains("milestone -1"));
  REQUIRE_THROWS_WITH(optim::cosine_annealing(0), Contains("T_max = 0"));
  REQUIRE_THROWS_WITH(optim::cosine_annealing(10, -1e-3), Contains("eta_min = -0.001"));
  REQUIRE_THROWS_WITH(optim::linear_warmup(0, 0.1, optim::constant_lr()),
                      Contains("warmup_steps = 0"));
  REQUIRE_THROWS_WITH(optim::linear_warmup(5, 1.5, optim::constant_lr()),
                      Contains("start_factor = 1.5"));
  REQUIRE_THROWS_WITH(optim::linear_warmup(5, 0.1, nullptr), Contains("null"));

  // Unsorted milestones behave like sorted ones (PyTorch sorts them too).
  auto a = optim::multi_step({30, 10, 20}, 0.5);
  auto b = optim::multi_step({10, 20, 30}, 0.5);
  for (int64_t t = 0; t < 40; ++t) REQUIRE(a->lr(2.0, t) == b->lr(2.0, t));
  REQUIRE(a->describe() == "multi_step(milestones=[10, 20, 30], gamma=0.5)");

  auto p = some_params();
  optim::SGD sgd({{{p[0]}, {}}, {{p[1]}, {.lr = 0.02}}}, {.lr = 0.1, .momentum = 0.9});
  auto schedule = optim::linear_warmup(2, 0.5, optim::step_lr(3, 0.1));
  optim::LrScheduler sched(sgd, schedule);
  REQUIRE(sched.base_lrs() == std::vector<double>{0.1, 0.02});
  REQUIRE(sched.last_step() == 0);
  REQUIRE(sgd.lr(0) == schedule->lr(0.1, 0));
  for (int k = 0; k < 7; ++k) sched.step();
  REQUIRE(sched.last_step() == 7);
  REQUIRE(sched.get_lr() == std::vector<double>{schedule->lr(0.1, 7), schedule->lr(0.02, 7)});
  REQUIRE(sgd.lr(1) == schedule->lr(0.02, 7));

  nlohmann::json st = sched.state_dict();
  optim::SGD sgd2({{{p[0]}, {}}, {{p[1]}, {.lr = 0.9}}}, {.lr = 0.9});
  optim::LrScheduler sched2(sgd2, schedule);
  sched2.load_state_dict(st);
  REQUIRE(sched2.last_step() == 7);
  REQUIRE(sgd2.lr(0) == sgd.lr(0));
  REQUIRE(sgd2.lr(1) == sgd.lr(1));
  sched.set_step(1);
  REQUIRE(sgd.lr(0) == 0.1 * 0.75);  // warm-up factor 0.5 + 0.5·1/2
  REQUIRE_THROWS_WITH(sched.set_step(-1), Contains("step -1"));
  optim::SGD one_group(some_params(), {.lr = 0.1});
  optim::LrScheduler sched3(one_group, schedule);
  REQUIRE_THROWS_WITH(sched3.load_state_dict(st), Contains("2 base lrs"));
}
