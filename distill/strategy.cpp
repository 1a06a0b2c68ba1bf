#include "distill/strategy.h"

#include "core/autograd.h"
#include "core/host_memory.h"
#include "core/ops/elementwise.h"
#include "core/ops/losses.h"
#include "distill/strategy_common.h"

namespace cohort::distill {

void StepLosses::add(const Tensor& ce_part, const Tensor& transfer_part, const Tensor& total_part, const Tensor& z) {
  auto detached = [](const Tensor& t) { return t.defined() ? t.detach() : Tensor(); };
  ce.push_back(detached(ce_part));
  transfer.push_back(detached(transfer_part));
  total.push_back(detached(total_part));
  logits.push_back(detached(z));
}

Strategy::Strategy(const RunConfig& cfg, Roster roster) : cfg_(cfg), roster_(std::move(roster)) {}

std::vector<StageSpec> Strategy::stages() const {
  std::vector<StageSpec> specs;
  for (const Stage& s : stages_) specs.push_back(s.spec);
  return specs;
}

void Strategy::add_stage(Stage stage) {
  COHORT_CHECK(stage.step, "{}: stage '{}' has no step function", name(), stage.spec.name);
  COHORT_CHECK(stage.trains != Trains::teacher || has_teacher(), "{}: stage '{}' trains a teacher the roster lacks",
               name(), stage.spec.name);
  stages_.push_back(std::move(stage));
}

void Strategy::add_teacher_stage(const TeacherOptions& teacher) {
  if (!teacher.weights.empty()) return;
  COHORT_CHECK(teacher.epochs > 0,
               "{}: give 'strategy.teacher_weights' or 'strategy.teacher_epochs' > 0 to train the teacher first",
               name());
  add_stage({.spec = {"teacher", teacher.epochs, false},
             .step = [this](const data::Batch& b) { return ce_step({&this->teacher()}, b); },
             .trains = Trains::teacher});
}

void Strategy::begin_stage(size_t index, const StageContext& ctx) {
  COHORT_CHECK(index < stages_.size(), "{}: stage {} does not exist ({} stages)", name(), index, stages_.size());
  stage_ = index;
  const Stage& stage = stages_[index];
  if (stage.trains == Trains::teacher) {
    start_training(teacher(), cfg_, stage.spec, ctx, stage.lr);
  } else {
    if (has_teacher()) stop_training(teacher());
    for (size_t k = 0; k < roster_.students.size(); ++k) {
      NamedTensors params = roster_.students[k].model->named_parameters();
      if (stage.with_extras)
        for (const ExtraTrainable& e : extras_)
          if (e.student == k)
            for (const auto& [n, t] : e.tensors) params.emplace_back(e.prefix + n, t);
      start_training(roster_.students[k], cfg_, stage.spec, ctx, stage.lr, &params);
    }
  }
  if (stage.on_begin) stage.on_begin(stage.spec, ctx);
}

StepLosses Strategy::step(const data::Batch& batch) {
  COHORT_CHECK(stage_ < stages_.size(), "{}: step before begin_stage", name());
  return stages_[stage_].step(batch);
}

std::vector<Network*> Strategy::trained() {
  if (stage_ < stages_.size() && stages_[stage_].trains == Trains::teacher) return {&teacher()};
  return students();
}

std::vector<std::pair<std::string, NamedTensors>> Strategy::checkpointed() {
  std::vector<std::pair<std::string, NamedTensors>> parts;
  for (Network& n : roster_.students) parts.emplace_back(n.name, n.model->state_dict());
  if (has_teacher()) parts.emplace_back(teacher().name, teacher().model->state_dict());
  for (const ExtraTrainable& e : extras_) parts.emplace_back(e.part, e.tensors);
  return parts;
}

StepLosses Strategy::ce_step(const std::vector<Network*>& nets, const data::Batch& batch) {
  StepLosses out;
  for (Network* n : nets) {
    n->model->train();
    Tensor z = n->model->forward(batch.images);
    Tensor ce = ops::cross_entropy(z, batch.labels);
    minimise(*n, ce);
    out.add(ce, Tensor(), ce, z);
  }
  return out;
}

StepLosses Strategy::kd_step(const data::Batch& batch, const KdWeights& w) {
  const Tensor t = teacher_logits(batch.images);
  StepLosses out;
  for (Network* n : students()) {
    n->model->train();
    Tensor z = n->model->forward(batch.images);
    Tensor ce = ops::cross_entropy(z, batch.labels);
    Tensor kd = ops::kd_kl(z, t, w.temperature);
    Tensor total = ce * w.ce_weight + kd * w.kd_weight;
    minimise(*n, total);
    out.add(ce, kd, total, z);
  }
  return out;
}

std::vector<Network*> Strategy::students() {
  std::vector<Network*> v;
  for (Network& n : roster_.students) v.push_back(&n);
  return v;
}

Network& Strategy::teacher() {
  COHORT_CHECK(roster_.teacher.has_value(), "{}: the roster has no teacher", name());
  return *roster_.teacher;
}

Tensor Strategy::teacher_logits(const Tensor& images) {
  NoGradGuard no_grad;  // the teacher is fixed: eval mode, no graph
  teacher().model->eval();
  Tensor logits = teacher().model->forward(images);
  // Its activations are all free now; on the CPU they would stay resident through the
  // student's step (a WRN-28-10 teacher's: ~50 MB at batch 64, docs/benchmarks.md).
  if (logits.device().is_cpu()) release_free_host_memory();
  return logits;
}

}  // namespace cohort::distill
