// kd: Hinton, Vinyals, Dean, "Distilling the knowledge in a neural network" (2015).
#include "core/autograd.h"
#include "core/ops/elementwise.h"
#include "core/ops/losses.h"
#include "distill/strategies.h"
#include "distill/strategy_common.h"

namespace cohort::distill {

namespace {

Network take_teacher(Roster& roster, const std::string& strategy) {
  COHORT_CHECK(roster.teacher.has_value(), "{}: the roster has no teacher", strategy);
  return std::move(*roster.teacher);
}

}  // namespace

void KdOptions::bind(OptionBinder& b) {
  teacher.bind(b);
  b.add("temperature", temperature, Bound::positive);
  b.add("ce_weight", ce_weight);
  b.add("kd_weight", kd_weight);
}

StrategyEntry kd_strategy_entry() {
  return strategy_entry<KdStrategy, KdOptions>("kd", "knowledge distillation from a fixed teacher (Hinton et al.)");
}

KdStrategy::KdStrategy(const RunConfig& cfg, Roster roster) : KdStrategy(cfg, std::move(roster), cfg.strategy.options<KdOptions>()) {}

KdStrategy::KdStrategy(const RunConfig& cfg, Roster roster, const KdOptions& kd)
    : cfg_(cfg), kd_(kd), students_(std::move(roster.students)), teacher_(take_teacher(roster, cfg.strategy.name)),
      train_teacher_(kd.teacher.weights.empty()) {
  if (train_teacher_)
    COHORT_CHECK(kd_.teacher.epochs > 0,
                 "{}: give 'strategy.teacher_weights' or 'strategy.teacher_epochs' > 0 to train the "
                 "teacher first", cfg.strategy.name);
}

std::vector<StageSpec> KdStrategy::stages() const {
  std::vector<StageSpec> s;
  if (train_teacher_) s.push_back({"teacher", kd_.teacher.epochs, false});
  s.push_back(main_stage(cfg_, "kd"));
  return s;
}

void KdStrategy::begin_stage(size_t index, const StageContext& ctx) {
  stage_ = index;
  StageSpec spec = stages()[index];
  if (teacher_stage()) {
    start_training(teacher_, cfg_, spec, ctx);
    return;
  }
  stop_training(teacher_);
  for (Network& n : students_) start_training(n, cfg_, spec, ctx);
}

StepLosses KdStrategy::step_teacher(const data::Batch& batch) {
  teacher_.model->train();
  Tensor z = teacher_.model->forward(batch.images);
  Tensor ce = ops::cross_entropy(z, batch.labels);
  minimise(teacher_, ce);
  return {{ce.detach()}, {Tensor()}, {ce.detach()}, {z.detach()}};
}

StepLosses KdStrategy::step_kd(const data::Batch& batch) {
  Tensor teacher_logits;
  {
    NoGradGuard no_grad;  // the teacher is fixed: eval mode, no graph
    teacher_.model->eval();
    teacher_logits = teacher_.model->forward(batch.images);
  }
  StepLosses out;
  const double beta = kd_weight();
  for (Network& n : students_) {
    n.model->train();
    Tensor z = n.model->forward(batch.images);
    Tensor ce = ops::cross_entropy(z, batch.labels);
    Tensor kd = ops::kd_kl(z, teacher_logits, kd_.temperature);
    Tensor total = ops::add(ops::mul(ce, kd_.ce_weight), ops::mul(kd, beta));
    minimise(n, total);
    out.ce.push_back(ce.detach());
    out.transfer.push_back(kd.detach());
    out.total.push_back(total.detach());
    out.logits.push_back(z.detach());
  }
  return out;
}

StepLosses KdStrategy::step(const data::Batch& batch) {
  return teacher_stage() ? step_teacher(batch) : step_kd(batch);
}

std::vector<Network*> KdStrategy::trained() {
  if (teacher_stage()) return {&teacher_};
  std::vector<Network*> v;
  for (Network& n : students_) v.push_back(&n);
  return v;
}

std::vector<Network*> KdStrategy::evaluated() { return trained(); }

std::vector<std::pair<std::string, NamedTensors>> KdStrategy::checkpointed() {
  std::vector<std::pair<std::string, NamedTensors>> parts;
  for (Network& n : students_) parts.emplace_back(n.name, n.model->state_dict());
  parts.emplace_back(teacher_.name, teacher_.model->state_dict());
  return parts;
}

}  // namespace cohort::distill
