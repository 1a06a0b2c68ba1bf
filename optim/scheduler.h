// LrScheduler: drives an optimiser's learning rates with a Schedule (optim/schedule.h).
//
// Like torch.optim.lr_scheduler: construction records each group's current lr as its base lr and
// sets the lr of step 0; every step() advances the step count t by one and sets
// lr_g = schedule.lr(base_g, t) for every group g. Call step() after optimizer.step(), once per
// epoch or once per iteration — the trainer's choice. Because the schedule is a closed form of
// t, resuming from a state_dict reproduces the learning rates exactly.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "optim/optimizer.h"
#include "optim/schedule.h"

namespace cohort::optim {

class LrScheduler {
 public:
  // Keeps a reference to `optimizer`, which must outlive the scheduler.
  LrScheduler(Optimizer& optimizer, SchedulePtr schedule);

  void step();
  // Jumps to step count t (>= 0) and sets the learning rates of that step.
  void set_step(int64_t t);
  int64_t last_step() const { return t_; }
  // The learning rate of each group at the current step (what the optimiser now uses).
  std::vector<double> get_lr() const;
  const std::vector<double>& base_lrs() const { return base_lrs_; }
  const Schedule& schedule() const { return *schedule_; }

  // {"schedule": describe(), "last_step": t, "base_lrs": [...]}. Loading restores t and the
  // base lrs and sets the optimiser's lrs; the schedule itself comes from the constructor (the
  // saved description is informational, so a resumed run may change its schedule on purpose).
  nlohmann::json state_dict() const;
  void load_state_dict(const nlohmann::json& state);

 private:
  void apply();

  Optimizer& optimizer_;
  SchedulePtr schedule_;
  std::vector<double> base_lrs_;
  int64_t t_ = 0;
};

}  // namespace cohort::optim
