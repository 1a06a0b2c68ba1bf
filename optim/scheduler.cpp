#include "optim/scheduler.h"

#include "core/error.h"

namespace cohort::optim {

LrScheduler::LrScheduler(Optimizer& optimizer, SchedulePtr schedule)
    : optimizer_(optimizer), schedule_(std::move(schedule)) {
  COHORT_CHECK(schedule_ != nullptr, "LrScheduler: the schedule is null");
  for (size_t g = 0; g < optimizer_.num_param_groups(); ++g) base_lrs_.push_back(optimizer_.lr(g));
  apply();
}

void LrScheduler::step() {
  ++t_;
  apply();
}

void LrScheduler::set_step(int64_t t) {
  COHORT_CHECK(t >= 0, "LrScheduler.set_step: invalid step {} (must be >= 0)", t);
  t_ = t;
  apply();
}

std::vector<double> LrScheduler::get_lr() const {
  std::vector<double> lrs;
  for (double base : base_lrs_) lrs.push_back(schedule_->lr(base, t_));
  return lrs;
}

void LrScheduler::apply() {
  const std::vector<double> lrs = get_lr();
  for (size_t g = 0; g < lrs.size(); ++g) optimizer_.set_lr(g, lrs[g]);
}

nlohmann::json LrScheduler::state_dict() const {
  return {{"schedule", schedule_->describe()}, {"last_step", t_}, {"base_lrs", base_lrs_}};
}

void LrScheduler::load_state_dict(const nlohmann::json& state) {
  COHORT_CHECK(state.is_object() && state.contains("last_step") && state.contains("base_lrs"),
               "LrScheduler.load_state_dict: expected last_step and base_lrs, got {}",
               state.dump());
  std::vector<double> base_lrs;
  int64_t t = 0;
  try {
    base_lrs = state.at("base_lrs").get<std::vector<double>>();
    t = state.at("last_step").get<int64_t>();
  } catch (const nlohmann::json::exception& e) {
    throw ValueError(fmt::format("LrScheduler.load_state_dict: malformed state {}: {}",
                                 state.dump(), e.what()));
  }
  COHORT_CHECK(base_lrs.size() == optimizer_.num_param_groups(),
               "LrScheduler.load_state_dict: {} base lrs saved, the optimiser has {} groups",
               base_lrs.size(), optimizer_.num_param_groups());
  COHORT_CHECK(t >= 0, "LrScheduler.load_state_dict: invalid last_step {}", t);
  base_lrs_ = base_lrs;
  t_ = t;
  apply();
}

}  // namespace cohort::optim
