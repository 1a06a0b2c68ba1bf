#include "optim/schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.h"
#include "optim/validate.h"

namespace cohort::optim {

namespace {

// Each formula is written in the operation order of PyTorch's closed form, so the double
// rounding matches it.

class Constant final : public Schedule {
 public:
  double lr(double base_lr, int64_t) const override { return base_lr; }
  std::string describe() const override { return "constant"; }
};

class StepEvery final : public Schedule {
 public:
  StepEvery(int64_t step_size, double gamma) : step_size_(step_size), gamma_(gamma) {}
  double lr(double base_lr, int64_t t) const override {
    return base_lr * std::pow(gamma_, static_cast<double>(t / step_size_));
  }
  std::string describe() const override {
    return fmt::format("step_lr(step_size={}, gamma={})", step_size_, gamma_);
  }

 private:
  int64_t step_size_;
  double gamma_;
};

class MultiStep final : public Schedule {
 public:
  MultiStep(std::vector<int64_t> milestones, double gamma)
      : milestones_(std::move(milestones)), gamma_(gamma) {
    std::sort(milestones_.begin(), milestones_.end());
  }
  double lr(double base_lr, int64_t t) const override {
    // bisect_right: the number of milestones <= t.
    const auto passed = std::upper_bound(milestones_.begin(), milestones_.end(), t) -
                        milestones_.begin();
    return base_lr * std::pow(gamma_, static_cast<double>(passed));
  }
  std::string describe() const override {
    return fmt::format("multi_step(milestones=[{}], gamma={})", fmt::join(milestones_, ", "),
                       gamma_);
  }

 private:
  std::vector<int64_t> milestones_;  // sorted
  double gamma_;
};

class Cosine final : public Schedule {
 public:
  Cosine(int64_t T_max, double eta_min) : T_max_(T_max), eta_min_(eta_min) {}
  double lr(double base_lr, int64_t t) const override {
    const double angle = std::numbers::pi * static_cast<double>(t) / static_cast<double>(T_max_);
    return eta_min_ + (base_lr - eta_min_) * (1 + std::cos(angle)) / 2;
  }
  std::string describe() const override {
    return fmt::format("cosine_annealing(T_max={}, eta_min={})", T_max_, eta_min_);
  }

 private:
  int64_t T_max_;
  double eta_min_;
};

class LinearWarmup final : public Schedule {
 public:
  LinearWarmup(int64_t steps, double start_factor, SchedulePtr after, WarmupMode mode)
      : steps_(steps), start_factor_(start_factor), after_(std::move(after)), mode_(mode) {}
  double lr(double base_lr, int64_t t) const override {
    if (mode_ == WarmupMode::sequential) {
      return t < steps_ ? base_lr * factor(t) : after_->lr(base_lr, t - steps_);
    }
    return factor(t) * after_->lr(base_lr, t);
  }
  std::string describe() const override {
    return fmt::format("linear_warmup(steps={}, start_factor={}, mode={}, after={})", steps_,
                       start_factor_, mode_ == WarmupMode::sequential ? "sequential" : "chained",
                       after_->describe());
  }

 private:
  // LinearLR's closed form with end_factor 1.
  double factor(int64_t t) const {
    const double done = static_cast<double>(std::min(steps_, t));
    return start_factor_ + (1.0 - start_factor_) * done / static_cast<double>(steps_);
  }
  int64_t steps_;
  double start_factor_;
  SchedulePtr after_;
  WarmupMode mode_;
};

}  // namespace

SchedulePtr constant_lr() { return std::make_shared<Constant>(); }

SchedulePtr step_lr(int64_t step_size, double gamma) {
  COHORT_CHECK(step_size > 0, "step_lr: invalid step_size = {} (must be > 0)", step_size);
  detail::check_non_negative("step_lr", "gamma", gamma);
  return std::make_shared<StepEvery>(step_size, gamma);
}

SchedulePtr multi_step(std::vector<int64_t> milestones, double gamma) {
  for (int64_t m : milestones)
    COHORT_CHECK(m >= 0, "multi_step: invalid milestone {} (must be >= 0)", m);
  detail::check_non_negative("multi_step", "gamma", gamma);
  return std::make_shared<MultiStep>(std::move(milestones), gamma);
}

SchedulePtr cosine_annealing(int64_t T_max, double eta_min) {
  COHORT_CHECK(T_max > 0, "cosine_annealing: invalid T_max = {} (must be > 0)", T_max);
  detail::check_non_negative("cosine_annealing", "eta_min", eta_min);
  return std::make_shared<Cosine>(T_max, eta_min);
}

SchedulePtr linear_warmup(int64_t warmup_steps, double start_factor, SchedulePtr after,
                          WarmupMode mode) {
  COHORT_CHECK(warmup_steps > 0, "linear_warmup: invalid warmup_steps = {} (must be > 0)",
               warmup_steps);
  COHORT_CHECK(start_factor >= 0 && start_factor <= 1,
               "linear_warmup: invalid start_factor = {} (must be in [0, 1])", start_factor);
  COHORT_CHECK(after != nullptr, "linear_warmup: the schedule after the warm-up is null "
                                 "(use constant_lr() for a warm-up alone)");
  return std::make_shared<LinearWarmup>(warmup_steps, start_factor, std::move(after), mode);
}

}  // namespace cohort::optim
