// fitnet: Romero et al., "FitNets: hints for thin deep nets" (ICLR 2015), as the FSP paper's
// baseline: hint regression, then KD with a linearly decaying KD weight.
#include <cmath>

#include "core/autograd.h"
#include "core/init.h"
#include "core/ops/elementwise.h"
#include "core/ops/losses.h"
#include "core/ops/nn.h"
#include "core/ops/reduce.h"
#include "distill/strategies.h"
#include "distill/strategy_common.h"

namespace cohort::distill {

void FitnetOptions::bind(OptionBinder& b) {
  teacher.bind(b);
  b.add("temperature", temperature, Bound::positive);
  b.add("ce_weight", ce_weight);
  b.add("kd_weight", kd_weight);
  b.add("hint_index", hint_index);
  b.add("hint_weight", hint_weight);
  b.add("kd_weight_end", kd_weight_end);
  stage1.bind(b);
}

StrategyEntry fitnet_strategy_entry() {
  return strategy_entry<FitnetStrategy, FitnetOptions>(
      "fitnet", "FitNets: hint regression from a teacher's tap, then KD with a decaying weight");
}

namespace {

KdOptions kd_part(const FitnetOptions& o) {
  KdOptions kd;
  kd.teacher = o.teacher;
  kd.temperature = o.temperature;
  kd.ce_weight = o.ce_weight;
  kd.kd_weight = o.kd_weight;
  return kd;
}

}  // namespace

FitnetStrategy::FitnetStrategy(const RunConfig& cfg, Roster roster)
    : KdStrategy(cfg, std::move(roster), kd_part(cfg.strategy.options<FitnetOptions>())),
      opts_(cfg.strategy.options<FitnetOptions>()) {
  // Shapes of the hint taps decide the regressors: run one dummy batch through both networks.
  NoGradGuard no_grad;
  Device device = teacher_.model->parameters().front().device();
  const int64_t k = opts_.hint_index;
  auto tap = [&](nn::Model& m, const std::string& who) {
    Tensor probe = Tensor::zeros({2, m.in_channels(), m.input_size(), m.input_size()}, DType::f32, device);
    m.eval();
    nn::ModelOutput o = m.forward_features(probe);
    COHORT_CHECK(k >= 0 && k < static_cast<int64_t>(o.features.size()),
                 "fitnet: 'strategy.hint_index' {} is out of range for the {} {} ({} taps)", k, who,
                 m.name(), o.features.size());
    return o.features[static_cast<size_t>(k)].shape();
  };
  Shape t = tap(*teacher_.model, "teacher");
  Generator gen(cfg.seed + 4242);
  for (Network& n : students_) {
    Shape s = tap(*n.model, "student");
    COHORT_CHECK(s.size() == 4 && t.size() == 4 && s[2] == t[2] && s[3] == t[3],
                 "fitnet: hint taps must be NCHW with equal spatial size: student {} {}, teacher {}",
                 n.name, shape_str(s), shape_str(t));
    Tensor w = Tensor::empty({t[1], s[1], 1, 1}, DType::f32);
    init::kaiming_normal_(w, gen, 0.0, "fan_in", "relu");
    regressors_.push_back(w.to(device).requires_grad_());
  }
}

std::vector<StageSpec> FitnetStrategy::stages() const {
  std::vector<StageSpec> s;
  if (train_teacher_) s.push_back({"teacher", opts_.teacher.epochs, false});
  if (opts_.hint_weight > 0) {
    s.push_back(main_stage(cfg_, "hint+ce"));
  } else {
    s.push_back(schedule_unit_stage(cfg_, "hint", opts_.stage1.length));
    s.push_back(main_stage(cfg_, "kd"));
  }
  return s;
}

std::string FitnetStrategy::stage_name() const { return stages()[stage_].name; }

void FitnetStrategy::begin_stage(size_t index, const StageContext& ctx) {
  stage_ = index;
  StageSpec spec = stages()[index];
  if (teacher_stage()) {
    start_training(teacher_, cfg_, spec, ctx);
    return;
  }
  stop_training(teacher_);
  for (size_t k = 0; k < students_.size(); ++k) {
    // Outside stage 2 the regressor trains with its student, in the same optimiser.
    NamedTensors params = students_[k].model->named_parameters();
    if (spec.name != "kd") params.emplace_back("regressor.weight", regressors_[k]);
    start_training(students_[k], cfg_, spec, ctx, spec.name == "hint" ? opts_.stage1.lr : 0.0,
                   &params);
  }
  if (spec.name == "kd") {
    kd_step_ = 0;
    kd_steps_total_ = std::max<int64_t>(1, spec.iterations ? spec.length : spec.length * ctx.steps_per_epoch);
  }
}

Tensor FitnetStrategy::teacher_hint(const Tensor& images) {
  NoGradGuard no_grad;  // the teacher is fixed: eval mode, no graph, one forward per step
  teacher_.model->eval();
  return teacher_.model->forward_features(images).features[static_cast<size_t>(opts_.hint_index)];
}

Tensor FitnetStrategy::hint_loss(size_t k, const Tensor& guided, const Tensor& target) {
  Tensor regressed = ops::conv2d(guided, regressors_[k]);
  return ops::hint_mse(regressed, target);
}

double FitnetStrategy::kd_weight() const {
  // Linear decay from kd_weight to kd_weight_end over stage 2 (FitNets: λ from 4 to 1).
  const FitnetOptions& s = opts_;
  double frac = std::min(1.0, static_cast<double>(kd_step_) / static_cast<double>(kd_steps_total_));
  return s.kd_weight + (s.kd_weight_end - s.kd_weight) * frac;
}

StepLosses FitnetStrategy::step(const data::Batch& batch) {
  if (teacher_stage()) return step_teacher(batch);
  const std::string stage = stage_name();
  if (stage == "kd") {
    StepLosses out = step_kd(batch);
    ++kd_step_;
    return out;
  }
  StepLosses out;
  const Tensor target = teacher_hint(batch.images);
  for (size_t k = 0; k < students_.size(); ++k) {
    // One student forward gives both the hint tap and (single-stage variant) the logits, so BN
    // statistics update once per step.
    students_[k].model->train();
    nn::ModelOutput o = students_[k].model->forward_features(batch.images);
    Tensor hint = hint_loss(k, o.features[static_cast<size_t>(opts_.hint_index)], target);
    Tensor total = hint;
    Tensor ce;
    if (stage == "hint+ce") {
      // Single-stage variant: CE + β·hint MSE in one backward.
      ce = ops::cross_entropy(o.logits, batch.labels);
      total = ops::add(ce, ops::mul(hint, opts_.hint_weight));
    }
    minimise(students_[k], total);
    out.ce.push_back(ce.defined() ? ce.detach() : Tensor());
    out.transfer.push_back(hint.detach());
    out.total.push_back(total.detach());
    out.logits.push_back(o.logits.detach());  // the running train top-1, in the hint stage too
  }
  return out;
}

std::vector<std::pair<std::string, NamedTensors>> FitnetStrategy::checkpointed() {
  auto parts = KdStrategy::checkpointed();
  for (size_t k = 0; k < regressors_.size(); ++k)
    parts.emplace_back(students_[k].name + ".regressor", NamedTensors{{"weight", regressors_[k]}});
  return parts;
}

nlohmann::json FitnetStrategy::state() const {
  return {{"kd_step", kd_step_}, {"kd_steps_total", kd_steps_total_}};
}

void FitnetStrategy::load_state(const nlohmann::json& s) {
  kd_step_ = s.value("kd_step", int64_t{0});
  kd_steps_total_ = s.value("kd_steps_total", int64_t{1});
}

}  // namespace cohort::distill
