// independent: every network trained with cross-entropy alone — the baseline of every table.
#include "core/ops/losses.h"
#include "distill/strategies.h"
#include "distill/strategy_common.h"

namespace cohort::distill {

StrategyEntry independent_strategy_entry() {
  return strategy_entry<IndependentStrategy, NoOptions>("independent", "every network trained with CE alone");
}

IndependentStrategy::IndependentStrategy(const RunConfig& cfg, Roster roster)
    : cfg_(cfg), nets_(std::move(roster.students)) {}

std::vector<StageSpec> IndependentStrategy::stages() const { return {main_stage(cfg_, "train")}; }

void IndependentStrategy::begin_stage(size_t, const StageContext& ctx) {
  for (Network& n : nets_) start_training(n, cfg_, stages()[0], ctx);
}

StepLosses IndependentStrategy::step(const data::Batch& batch) {
  StepLosses out;
  for (Network& n : nets_) {
    n.model->train();
    Tensor z = n.model->forward(batch.images);
    Tensor ce = ops::cross_entropy(z, batch.labels);
    minimise(n, ce);
    out.logits.push_back(z.detach());
    out.ce.push_back(ce.detach());
    out.transfer.emplace_back();
    out.total.push_back(ce.detach());
  }
  return out;
}

std::vector<Network*> IndependentStrategy::trained() {
  std::vector<Network*> v;
  for (Network& n : nets_) v.push_back(&n);
  return v;
}

std::vector<Network*> IndependentStrategy::evaluated() { return trained(); }

std::vector<std::pair<std::string, NamedTensors>> IndependentStrategy::checkpointed() {
  std::vector<std::pair<std::string, NamedTensors>> parts;
  for (Network& n : nets_) parts.emplace_back(n.name, n.model->state_dict());
  return parts;
}

}  // namespace cohort::distill
