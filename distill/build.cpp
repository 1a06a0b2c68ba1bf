#include "distill/build.h"

#include "optim/adam.h"
#include "optim/param_groups.h"
#include "optim/sgd.h"

namespace cohort::distill {

std::unique_ptr<optim::Optimizer> make_optimizer(const OptimizerConfig& cfg,
                                                 const NamedTensors& named_params, double lr) {
  std::vector<optim::ParamGroup> groups;
  if (cfg.decay_bn_and_bias) {
    optim::ParamGroup all;
    for (const auto& [name, p] : named_params) all.params.push_back(p);
    groups.push_back(std::move(all));
  } else {
    for (auto& g : optim::split_weight_decay(named_params, cfg.weight_decay))
      if (!g.params.empty()) groups.push_back(std::move(g));
  }
  if (cfg.name == "sgd")
    return std::make_unique<optim::SGD>(std::move(groups),
                                        optim::SGDOptions{.lr = lr,
                                                          .momentum = cfg.momentum,
                                                          .dampening = cfg.dampening,
                                                          .nesterov = cfg.nesterov,
                                                          .weight_decay = cfg.weight_decay});
  if (cfg.name == "adam")
    return std::make_unique<optim::Adam>(std::move(groups),
                                         optim::AdamOptions{.lr = lr,
                                                            .betas = {cfg.beta1, cfg.beta2},
                                                            .eps = cfg.eps,
                                                            .weight_decay = cfg.weight_decay,
                                                            .amsgrad = cfg.amsgrad});
  if (cfg.name == "adamw")
    return std::make_unique<optim::AdamW>(std::move(groups),
                                          optim::AdamWOptions{.lr = lr,
                                                              .betas = {cfg.beta1, cfg.beta2},
                                                              .eps = cfg.eps,
                                                              .weight_decay = cfg.weight_decay,
                                                              .amsgrad = cfg.amsgrad});
  COHORT_FAIL("config: 'optimizer.name' must be sgd, adam or adamw, got '{}'", cfg.name);
}

optim::SchedulePtr make_schedule(const ScheduleConfig& cfg, int64_t length) {
  optim::SchedulePtr main;
  if (cfg.name == "constant") main = optim::constant_lr();
  else if (cfg.name == "step") main = optim::step_lr(cfg.step_size, cfg.gamma);
  else if (cfg.name == "multistep") main = optim::multi_step(cfg.milestones, cfg.gamma);
  else if (cfg.name == "cosine")
    main = optim::cosine_annealing(cfg.t_max > 0 ? cfg.t_max : std::max<int64_t>(1, length - cfg.warmup),
                                   cfg.eta_min);
  else COHORT_FAIL("config: unknown 'schedule.name' '{}'", cfg.name);
  // Warm-up starts at lr/W and reaches lr after W units, then the main schedule starts.
  if (cfg.warmup > 0) return optim::linear_warmup(cfg.warmup, 1.0 / static_cast<double>(cfg.warmup), main);
  return main;
}

}  // namespace cohort::distill
