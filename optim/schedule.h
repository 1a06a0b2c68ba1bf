// Learning-rate schedules as pure functions: lr(base_lr, t) for a step count t = 0, 1, 2, ...
// A schedule does not know what a step is — the trainer decides (one per epoch, or one per
// iteration as in the FSP paper's recipes) and drives an LrScheduler (optim/scheduler.h).
//
// Closed forms, equal to torch.optim.lr_scheduler's _get_closed_form_lr (the recursive forms
// PyTorch steps with agree up to rounding; tests/optim compares whole trajectories):
//   constant            lr = base
//   step_lr             lr = base · γ^⌊t / step_size⌋                     (StepLR)
//   multi_step          lr = base · γ^(number of milestones ≤ t)            (MultiStepLR)
//   cosine_annealing    lr = η_min + (base − η_min)·(1 + cos(π·t / T_max))/2 (CosineAnnealingLR,
//                       continued past T_max as the same cosine, like PyTorch)
//   linear_warmup(W, f0, after, mode), warm-up factor w(t) = f0 + (1 − f0)·min(t, W)/W:
//     sequential        lr = base·w(t) for t < W, then after(base, t − W)
//                       (SequentialLR([LinearLR(f0, 1, W), after], milestones=[W]))
//     chained           lr = w(t) · after(base, t)
//                       (ChainedScheduler([LinearLR(f0, 1, W), after]); exact for multiplicative
//                       schedules, i.e. all but cosine with η_min ≠ 0)
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cohort::optim {

class Schedule {
 public:
  virtual ~Schedule() = default;
  // The learning rate of step t (t >= 0) for a parameter group whose base lr is `base_lr`.
  virtual double lr(double base_lr, int64_t t) const = 0;
  // A human-readable description, e.g. "cosine_annealing(T_max=200, eta_min=0)".
  virtual std::string describe() const = 0;
};

using SchedulePtr = std::shared_ptr<const Schedule>;

enum class WarmupMode {
  sequential,  // warm up for W steps, then run `after` from its step 0
  chained,     // multiply `after` (run on the same t) by the warm-up factor
};

// Every factory validates its arguments and throws ValueError naming the schedule, the option
// and the value.
SchedulePtr constant_lr();
// step_size > 0, gamma >= 0.
SchedulePtr step_lr(int64_t step_size, double gamma = 0.1);
// milestones >= 0 (any order; repeated milestones multiply twice, as in PyTorch), gamma >= 0.
SchedulePtr multi_step(std::vector<int64_t> milestones, double gamma = 0.1);
// T_max > 0, eta_min >= 0.
SchedulePtr cosine_annealing(int64_t T_max, double eta_min = 0);
// warmup_steps > 0, start_factor in [0, 1], after non-null (constant_lr() for warm-up only).
SchedulePtr linear_warmup(int64_t warmup_steps, double start_factor, SchedulePtr after,
                          WarmupMode mode = WarmupMode::sequential);

}  // namespace cohort::optim
