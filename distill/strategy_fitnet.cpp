// fitnet: Romero et al., "FitNets: hints for thin deep nets" (ICLR 2015), as the FSP paper's
// baseline. Stage "hint": each student's tap `hint_index` goes through a learned 1×1-conv
// regressor and regresses the teacher's tap with mean squared error. Stage "kd": KD with β
// decaying linearly from kd_weight to kd_weight_end. With hint_weight > 0 instead: one stage
// "hint+ce" minimising CE + hint_weight · MSE. Without teacher weights, stage "teacher" comes first.
#include <algorithm>

#include "core/autograd.h"
#include "core/host_memory.h"
#include "core/init.h"
#include "core/ops/elementwise.h"
#include "core/ops/losses.h"
#include "core/ops/nn.h"
#include "distill/strategy_common.h"
#include "distill/strategy_registry.h"

namespace cohort::distill {

namespace {

struct FitnetOptions : OptionsOf<FitnetOptions> {
  TeacherOptions teacher;
  double temperature = 1.0;
  double ce_weight = 1.0;
  double kd_weight = 1.0;    // stage "kd": β decays linearly kd_weight -> kd_weight_end
  int64_t hint_index = 1;    // which feature tap is the hint/guided layer
  double hint_weight = 0.0;  // > 0: single-stage CE + β·hint MSE variant
  double kd_weight_end = 1.0;
  StageOneOptions stage1;
  void bind(OptionBinder& b) override {
    teacher.bind(b);
    b.add("temperature", temperature, Bound::positive);
    b.add("ce_weight", ce_weight);
    b.add("kd_weight", kd_weight);
    b.add("hint_index", hint_index);
    b.add("hint_weight", hint_weight);
    b.add("kd_weight_end", kd_weight_end);
    stage1.bind(b);
  }
  void validate(const RunConfig&) const override { teacher.validate("fitnet"); }
  const TeacherOptions* teacher_options() const override { return &teacher; }
};

class FitnetStrategy : public Strategy {
 public:
  FitnetStrategy(const RunConfig& cfg, Roster roster);
  nlohmann::json state() const override { return {{"kd_step", kd_step_}, {"kd_steps_total", kd_steps_total_}}; }
  void load_state(const nlohmann::json& s) override {
    kd_step_ = s.value("kd_step", int64_t{0});
    kd_steps_total_ = s.value("kd_steps_total", int64_t{1});
  }

 private:
  // The hint stages: regress the teacher's tap (and, single-stage, add the CE).
  StepLosses hint_step(const data::Batch& batch, bool with_ce);
  // The teacher's hint tap for a batch (no graph).
  Tensor teacher_hint(const Tensor& images);
  // β for this step: linear decay from kd_weight to kd_weight_end over stage "kd" (FitNets: λ
  // from 4 to 1).
  double kd_weight() const;

  FitnetOptions opts_;
  std::vector<Tensor> regressors_;  // [C_teacher, C_student, 1, 1] per student
  int64_t kd_step_ = 0, kd_steps_total_ = 1;
};

FitnetStrategy::FitnetStrategy(const RunConfig& cfg, Roster roster)
    : Strategy(cfg, std::move(roster)), opts_(cfg.strategy.options<FitnetOptions>()) {
  // Shapes of the hint taps decide the regressors: run one dummy batch through both networks.
  {
    NoGradGuard no_grad;
    Device device = teacher().model->parameters().front().device();
    const int64_t k = opts_.hint_index;
    auto tap = [&](nn::Model& m, const std::string& who) {
      Tensor probe = Tensor::zeros({2, m.in_channels(), m.input_size(), m.input_size()}, DType::f32, device);
      m.eval();
      nn::ModelOutput o = m.forward_features(probe);
      COHORT_CHECK(k >= 0 && k < static_cast<int64_t>(o.features.size()),
                   "fitnet: 'strategy.hint_index' {} is out of range for the {} {} ({} taps)", k, who, m.name(),
                   o.features.size());
      return o.features[static_cast<size_t>(k)].shape();
    };
    Shape t = tap(*teacher().model, "teacher");
    Generator gen(cfg.seed + 4242);
    for (size_t i = 0; i < roster_.students.size(); ++i) {
      Network& n = roster_.students[i];
      Shape s = tap(*n.model, "student");
      COHORT_CHECK(s.size() == 4 && t.size() == 4 && s[2] == t[2] && s[3] == t[3],
                   "fitnet: hint taps must be NCHW with equal spatial size: student {} {}, teacher {}", n.name,
                   shape_str(s), shape_str(t));
      Tensor w = Tensor::empty({t[1], s[1], 1, 1}, DType::f32);
      init::kaiming_normal_(w, gen, 0.0, "fan_in", "relu");
      regressors_.push_back(w.to(device).requires_grad_());
      // Outside stage "kd" the regressor trains with its student, in the same optimiser.
      extras_.push_back({i, n.name + ".regressor", "regressor.", {{"weight", regressors_.back()}}});
    }
  }

  add_teacher_stage(opts_.teacher);
  if (opts_.hint_weight > 0) {
    add_stage({.spec = main_stage(cfg_, "hint+ce"),
               .step = [this](const data::Batch& b) { return hint_step(b, /*with_ce=*/true); },
               .with_extras = true});
    return;
  }
  add_stage({.spec = schedule_unit_stage(cfg_, "hint", opts_.stage1.length),
             .step = [this](const data::Batch& b) { return hint_step(b, /*with_ce=*/false); },
             .lr = opts_.stage1.lr,
             .with_extras = true});
  add_stage({.spec = main_stage(cfg_, "kd"),
             .step =
                 [this](const data::Batch& b) {
                   StepLosses out = kd_step(b, {opts_.temperature, opts_.ce_weight, kd_weight()});
                   ++kd_step_;
                   return out;
                 },
             .on_begin =
                 [this](const StageSpec& spec, const StageContext& ctx) {
                   kd_step_ = 0;
                   kd_steps_total_ =
                       std::max<int64_t>(1, spec.iterations ? spec.length : spec.length * ctx.steps_per_epoch);
                 }});
}

Tensor FitnetStrategy::teacher_hint(const Tensor& images) {
  NoGradGuard no_grad;  // the teacher is fixed: eval mode, no graph, one forward per step
  teacher().model->eval();
  Tensor hint = teacher().model->forward_features(images).features[static_cast<size_t>(opts_.hint_index)];
  if (hint.device().is_cpu()) release_free_host_memory();  // as in Strategy::teacher_logits
  return hint;
}

double FitnetStrategy::kd_weight() const {
  double frac = std::min(1.0, static_cast<double>(kd_step_) / static_cast<double>(kd_steps_total_));
  return opts_.kd_weight + (opts_.kd_weight_end - opts_.kd_weight) * frac;
}

StepLosses FitnetStrategy::hint_step(const data::Batch& batch, bool with_ce) {
  StepLosses out;
  const Tensor target = teacher_hint(batch.images);
  std::vector<Network*> nets = students();
  for (size_t k = 0; k < nets.size(); ++k) {
    // One student forward gives both the hint tap and (single-stage variant) the logits, so BN
    // statistics update once per step.
    nets[k]->model->train();
    nn::ModelOutput o = nets[k]->model->forward_features(batch.images);
    Tensor guided = o.features[static_cast<size_t>(opts_.hint_index)];
    Tensor hint = ops::hint_mse(ops::conv2d(guided, regressors_[k]), target);
    Tensor total = hint;
    Tensor ce;
    if (with_ce) {
      ce = ops::cross_entropy(o.logits, batch.labels);
      total = ce + hint * opts_.hint_weight;
    }
    minimise(*nets[k], total);
    out.add(ce, hint, total, o.logits);  // the running train top-1, in the hint stage too
  }
  return out;
}

}  // namespace

StrategyEntry fitnet_strategy_entry() {
  return strategy_entry<FitnetStrategy, FitnetOptions>(
      "fitnet", "FitNets: hint regression from a teacher's tap, then KD with a decaying weight");
}

}  // namespace cohort::distill
