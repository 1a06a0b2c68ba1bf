// Trajectory parity with PyTorch: every case of tests/python/ref_optim.py (SGD variants, Adam,
// AdamW, parameter groups, every schedule) is replayed for 20 steps from the same initial
// parameters on the same quadratic with the same noise; every parameter after every step and
// every group's learning rate are compared in f64.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/ops/elementwise.h"
#include "optim/adam.h"
#include "optim/param_groups.h"
#include "optim/scheduler.h"
#include "optim/sgd.h"
#include "tests/support/tolerance.h"
#include "tests/support/torch_refs.h"

using namespace cohort;
using nlohmann::json;

namespace {

// The reference's group options (PyTorch names) as our overrides.
optim::OptionOverrides overrides_from(const json& g) {
  optim::OptionOverrides o;
  if (g.contains("lr")) o.lr = g["lr"].get<double>();
  if (g.contains("weight_decay")) o.weight_decay = g["weight_decay"].get<double>();
  if (g.contains("momentum")) o.momentum = g["momentum"].get<double>();
  if (g.contains("dampening")) o.dampening = g["dampening"].get<double>();
  if (g.contains("nesterov")) o.nesterov = g["nesterov"].get<bool>();
  if (g.contains("betas")) {
    o.beta1 = g["betas"][0].get<double>();
    o.beta2 = g["betas"][1].get<double>();
  }
  if (g.contains("eps")) o.eps = g["eps"].get<double>();
  if (g.contains("amsgrad")) o.amsgrad = g["amsgrad"].get<bool>();
  return o;
}

std::vector<optim::ParamGroup> groups_from(const json& cfg, const NamedTensors& named) {
  if (cfg.contains("split_weight_decay"))
    return optim::split_weight_decay(named, cfg["split_weight_decay"].get<double>());
  std::vector<optim::ParamGroup> groups;
  if (!cfg.contains("groups")) {
    groups.emplace_back();
    for (const auto& [name, p] : named) groups[0].params.push_back(p);
    return groups;
  }
  for (const json& g : cfg["groups"]) {
    optim::ParamGroup group{{}, overrides_from(g)};
    for (const json& name : g["params"]) {
      auto it = std::find_if(named.begin(), named.end(),
                             [&](const auto& kv) { return kv.first == name.get<std::string>(); });
      REQUIRE(it != named.end());
      group.params.push_back(it->second);
    }
    groups.push_back(std::move(group));
  }
  return groups;
}

std::unique_ptr<optim::Optimizer> make_optimizer(const json& cfg, const NamedTensors& named) {
  const json& o = cfg["options"];
  const std::string kind = cfg["optimizer"].get<std::string>();
  std::vector<optim::ParamGroup> groups = groups_from(cfg, named);
  if (kind == "sgd") {
    optim::SGDOptions opts{o["lr"].get<double>(), o.value("momentum", 0.0),
                           o.value("dampening", 0.0), o.value("nesterov", false),
                           o.value("weight_decay", 0.0)};
    return std::make_unique<optim::SGD>(std::move(groups), opts);
  }
  auto betas = o.value("betas", std::array<double, 2>{0.9, 0.999});
  if (kind == "adam") {
    optim::AdamOptions opts{o["lr"].get<double>(), betas, o.value("eps", 1e-8),
                            o.value("weight_decay", 0.0), o.value("amsgrad", false)};
    return std::make_unique<optim::Adam>(std::move(groups), opts);
  }
  REQUIRE(kind == "adamw");
  optim::AdamWOptions opts{o["lr"].get<double>(), betas, o.value("eps", 1e-8),
                           o.value("weight_decay", 1e-2), o.value("amsgrad", false)};
  return std::make_unique<optim::AdamW>(std::move(groups), opts);
}

optim::SchedulePtr make_schedule(const json& s) {
  const std::string type = s["type"].get<std::string>();
  if (type == "step_lr") return optim::step_lr(s["step_size"], s["gamma"]);
  if (type == "multi_step")
    return optim::multi_step(s["milestones"].get<std::vector<int64_t>>(), s["gamma"]);
  if (type == "cosine") return optim::cosine_annealing(s["T_max"], s["eta_min"]);
  REQUIRE(type == "warmup");
  const auto mode = s["mode"] == "sequential" ? optim::WarmupMode::sequential
                                              : optim::WarmupMode::chained;
  return optim::linear_warmup(s["steps"], s["start_factor"], make_schedule(s["after"]), mode);
}

void replay(const std::string& case_name) {
  INFO("case " << case_name);
  const safetensors::Contents ref = test::torch_reference("optim_" + case_name);
  const json cfg = json::parse(ref.metadata.at("config"));
  const auto& t = ref.tensors;
  const int steps = cfg["steps"].get<int>();
  const int late_start = cfg["late_start"].get<int>();

  NamedTensors named;
  for (const json& n : cfg["names"]) {
    const std::string name = n.get<std::string>();
    named.emplace_back(name, t.at("init." + name).clone());
  }
  std::unique_ptr<optim::Optimizer> opt = make_optimizer(cfg, named);
  std::unique_ptr<optim::LrScheduler> sched;
  if (cfg.contains("schedule"))
    sched = std::make_unique<optim::LrScheduler>(*opt, make_schedule(cfg["schedule"]));

  for (int k = 0; k < steps; ++k) {
    INFO("step " << k);
    std::vector<double> lrs;
    for (size_t g = 0; g < opt->num_param_groups(); ++g) lrs.push_back(opt->lr(g));
    REQUIRE_CLOSE(Tensor::from_vector(lrs), t.at(fmt::format("lr.{}", k)), 0.0, 1e-13);
    for (auto& [name, p] : named) {
      const bool has_grad = name != "frozen" && (name != "late.weight" || k >= late_start);
      Tensor grad = t.at("curv." + name) * (p - t.at("target." + name)) +
                    t.at(fmt::format("noise.{}.{}", k, name));
      p.set_grad(has_grad ? grad : Tensor());
    }
    opt->step();
    if (sched) sched->step();
    for (const auto& [name, p] : named) {
      INFO("parameter " << name);
      REQUIRE_CLOSE(p, t.at(fmt::format("after.{}.{}", k, name)), 1e-14, 1e-13);
    }
  }
}

}  // namespace

TEST_CASE("SGD trajectories match torch.optim.SGD", "[optim]") {
  for (const char* c : {"sgd_plain", "sgd_weight_decay", "sgd_momentum",
                        "sgd_momentum_dampening_wd", "sgd_nesterov", "sgd_nesterov_wd",
                        "sgd_split_weight_decay", "sgd_group_overrides"})
    replay(c);
}

TEST_CASE("Adam and AdamW trajectories match torch.optim", "[optim]") {
  for (const char* c : {"adam", "adam_beta1_05_wd", "adam_amsgrad", "adamw", "adamw_amsgrad_groups"})
    replay(c);
}

TEST_CASE("LR schedules match torch.optim.lr_scheduler trajectories", "[optim]") {
  for (const char* c : {"sched_step_lr", "sched_multi_step", "sched_cosine", "sched_warmup_cosine",
                        "sched_warmup_multi_step_chained", "sched_warmup_cosine_adamw"})
    replay(c);
}
