// independent: every network trained with cross-entropy alone — the baseline of every table.
// For each network, L = CE(z, y); every network steps on every batch.
#include "distill/strategy_common.h"
#include "distill/strategy_registry.h"

namespace cohort::distill {

namespace {

class IndependentStrategy : public Strategy {
 public:
  IndependentStrategy(const RunConfig& cfg, Roster roster) : Strategy(cfg, std::move(roster)) {
    add_stage({.spec = main_stage(cfg_, "train"),
               .step = [this](const data::Batch& b) { return ce_step(students(), b); }});
  }
};

}  // namespace

StrategyEntry independent_strategy_entry() {
  return strategy_entry<IndependentStrategy, NoOptions>("independent", "every network trained with CE alone");
}

}  // namespace cohort::distill
