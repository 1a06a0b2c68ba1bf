// Turning the config's optimizer and schedule sections into optim/ objects.
#pragma once

#include <memory>

#include "core/tensor.h"
#include "distill/run_config.h"
#include "optim/optimizer.h"
#include "optim/schedule.h"

namespace cohort::distill {

// SGD / Adam / AdamW over `named_params`, split into decay and no-decay groups when
// decay_bn_and_bias is false (optim/param_groups.h states the rule). `lr` overrides cfg.lr
// (two-stage strategies' stage-1 lr).
std::unique_ptr<optim::Optimizer> make_optimizer(const OptimizerConfig& cfg,
                                                 const NamedTensors& named_params, double lr);
// The schedule of a run lasting `length` units (epochs or iterations, per cfg.unit).
optim::SchedulePtr make_schedule(const ScheduleConfig& cfg, int64_t length);

}  // namespace cohort::distill
