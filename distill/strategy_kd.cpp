// kd: Hinton, Vinyals, Dean, "Distilling the knowledge in a neural network" (2015).
// A fixed teacher (eval mode, no gradient); each student minimises α·CE(z_s, y) + β·kd_kl(z_s, z_t, T)
// (kd_kl carries the T² factor). Without teacher weights, stage 0 first trains the teacher with CE
// for strategy.teacher_epochs.
#include "distill/strategy_common.h"
#include "distill/strategy_registry.h"

namespace cohort::distill {

namespace {

struct KdOptions : OptionsOf<KdOptions> {
  TeacherOptions teacher;
  double temperature = 1.0;
  double ce_weight = 1.0;  // α
  double kd_weight = 1.0;  // β (multiplies T²·KL)
  void bind(OptionBinder& b) override {
    teacher.bind(b);
    b.add("temperature", temperature, Bound::positive);
    b.add("ce_weight", ce_weight);
    b.add("kd_weight", kd_weight);
  }
  void validate(const RunConfig&) const override { teacher.validate("kd"); }
  const TeacherOptions* teacher_options() const override { return &teacher; }
};

class KdStrategy : public Strategy {
 public:
  KdStrategy(const RunConfig& cfg, Roster roster)
      : Strategy(cfg, std::move(roster)), opts_(cfg.strategy.options<KdOptions>()) {
    add_teacher_stage(opts_.teacher);
    add_stage({.spec = main_stage(cfg_, "kd"), .step = [this](const data::Batch& b) {
                 return kd_step(b, {opts_.temperature, opts_.ce_weight, opts_.kd_weight});
               }});
  }

 private:
  KdOptions opts_;
};

}  // namespace

StrategyEntry kd_strategy_entry() {
  return strategy_entry<KdStrategy, KdOptions>("kd", "knowledge distillation from a fixed teacher (Hinton et al.)");
}

}  // namespace cohort::distill
