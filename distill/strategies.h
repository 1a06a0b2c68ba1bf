// The five strategies. Each class's comment states its per-step algorithm; docs/distillation.md
// gives the formulas, the knobs and their defaults.
#pragma once

#include <map>
#include <vector>

#include "core/ops/losses.h"
#include "core/random.h"
#include "distill/strategy.h"
#include "distill/strategy_registry.h"

namespace cohort::distill {

enum class DmlUpdate { sync, sequential };
enum class PeerReduction { average, sum };
enum class DmlTeacher { peers, ensemble };

struct DmlOptions : OptionsOf<DmlOptions> {
  double temperature = 1.0;
  double mimicry_weight = 1.0;  // λ in L_k = CE_k + λ · KL-term
  PeerReduction peer_reduction = PeerReduction::average;
  DmlTeacher teacher = DmlTeacher::peers;  // ensemble: DML_e
  DmlUpdate update = DmlUpdate::sync;      // sequential: the paper's Algorithm 1
  void bind(OptionBinder& b) override;
  void validate(const RunConfig& cfg) const override;
};

struct KdOptions : OptionsOf<KdOptions> {
  TeacherOptions teacher;
  double temperature = 1.0;
  double ce_weight = 1.0;  // α
  double kd_weight = 1.0;  // β (multiplies T²·KL)
  void bind(OptionBinder& b) override;
  void validate(const RunConfig&) const override { teacher.validate("kd"); }
  const TeacherOptions* teacher_options() const override { return &teacher; }
};

struct FitnetOptions : OptionsOf<FitnetOptions> {
  TeacherOptions teacher;
  double temperature = 1.0;
  double ce_weight = 1.0;
  double kd_weight = 1.0;      // stage 2 β decays linearly kd_weight -> kd_weight_end
  int64_t hint_index = 1;      // which feature tap is the hint/guided layer
  double hint_weight = 0.0;    // > 0: single-stage CE + β·hint MSE variant
  double kd_weight_end = 1.0;
  StageOneOptions stage1;
  void bind(OptionBinder& b) override;
  void validate(const RunConfig&) const override { teacher.validate("fitnet"); }
  const TeacherOptions* teacher_options() const override { return &teacher; }
};

enum class FspPool { max, avg };

struct FspOptions : OptionsOf<FspOptions> {
  TeacherOptions teacher;
  FspPool pool = FspPool::max;  // resizing of pairs with different sizes
  double fsp_weight = 1.0;      // λ per pair (equal λ)
  bool shuffle = false;
  bool cache_teacher = false;
  StageOneOptions stage1;
  void bind(OptionBinder& b) override;
  void validate(const RunConfig&) const override { teacher.validate("fsp"); }
  const TeacherOptions* teacher_options() const override { return &teacher; }
};

// independent: for each network, L = CE(z, y); every network steps on every batch.
class IndependentStrategy : public Strategy {
 public:
  IndependentStrategy(const RunConfig& cfg, Roster roster);
  std::string name() const override { return "independent"; }
  std::vector<StageSpec> stages() const override;
  void begin_stage(size_t index, const StageContext& ctx) override;
  StepLosses step(const data::Batch& batch) override;
  std::vector<Network*> trained() override;
  std::vector<Network*> evaluated() override;
  std::vector<std::pair<std::string, NamedTensors>> checkpointed() override;

 private:
  RunConfig cfg_;
  std::vector<Network> nets_;
};

// dml (Zhang et al. 2018): L_k = CE(z_k, y) + λ · D_k, with D_k the cohort mimicry term of
// ops::dml_mimicry (peers detached; average 1/(K−1) Σ_{l≠k} KL(p_l‖p_k), sum, or ensemble
// KL(mean_{l≠k} p_l ‖ p_k)) at temperature T.
//   sync:       one forward of every network, all losses from those predictions, all step.
//   sequential: Algorithm 1 — network k steps using its peers' CURRENT predictions: one training
//               forward of every network first, then each of networks 1..K−1 re-predicted once
//               after its update (the algorithm's only extra forwards; they restore the BN
//               running statistics, so those are updated once per batch per network).
// Semi-supervised (labelled_fraction < 1): CE only on labelled rows, mimicry on all rows.
class DmlStrategy : public Strategy {
 public:
  DmlStrategy(const RunConfig& cfg, Roster roster);
  std::string name() const override { return "dml"; }
  std::vector<StageSpec> stages() const override;
  void begin_stage(size_t index, const StageContext& ctx) override;
  StepLosses step(const data::Batch& batch) override;
  std::vector<Network*> trained() override;
  std::vector<Network*> evaluated() override;
  std::vector<std::pair<std::string, NamedTensors>> checkpointed() override;

 private:
  StepLosses step_sync(const data::Batch& batch, const Tensor& labels, bool any_labelled);
  StepLosses step_sequential(const data::Batch& batch, const Tensor& labels, bool any_labelled);
  RunConfig cfg_;
  std::vector<Network> nets_;
  DmlOptions opts_;
  ops::DmlOptions mimicry_;  // the cohort term's mode, from peer_reduction and teacher
};

// kd (Hinton et al.): a fixed teacher (eval mode, no gradient); each student minimises
// α·CE(z_s, y) + β·kd_kl(z_s, z_t, T) (kd_kl carries the T² factor). Without teacher weights,
// stage 0 first trains the teacher with CE for strategy.teacher_epochs.
class KdStrategy : public Strategy {
 public:
  KdStrategy(const RunConfig& cfg, Roster roster);
  // FitNet and FSP: their teacher and KD knobs.
  KdStrategy(const RunConfig& cfg, Roster roster, const KdOptions& kd);
  std::string name() const override { return "kd"; }
  std::vector<StageSpec> stages() const override;
  void begin_stage(size_t index, const StageContext& ctx) override;
  StepLosses step(const data::Batch& batch) override;
  std::vector<Network*> trained() override;
  std::vector<Network*> evaluated() override;
  std::vector<std::pair<std::string, NamedTensors>> checkpointed() override;

 protected:
  bool teacher_stage() const { return train_teacher_ && stage_ == 0; }
  StepLosses step_teacher(const data::Batch& batch);
  // β for this step (FitNet's stage 2 decays it linearly; KD keeps it constant).
  virtual double kd_weight() const { return kd_.kd_weight; }
  StepLosses step_kd(const data::Batch& batch);

  RunConfig cfg_;
  KdOptions kd_;
  std::vector<Network> students_;
  Network teacher_;
  bool train_teacher_ = false;
  size_t stage_ = 0;
};

// fitnet (Romero et al., the FSP paper's baseline). Stage "hint": each student's tap
// `hint_index` goes through a learned 1×1-conv regressor and regresses the teacher's tap with
// mean squared error. Stage "kd": KD with β decaying linearly from kd_weight to kd_weight_end.
// With hint_weight > 0 instead: one stage minimising CE + hint_weight · MSE.
class FitnetStrategy : public KdStrategy {
 public:
  FitnetStrategy(const RunConfig& cfg, Roster roster);
  std::string name() const override { return "fitnet"; }
  std::vector<StageSpec> stages() const override;
  void begin_stage(size_t index, const StageContext& ctx) override;
  StepLosses step(const data::Batch& batch) override;
  std::vector<std::pair<std::string, NamedTensors>> checkpointed() override;
  nlohmann::json state() const override;
  void load_state(const nlohmann::json& s) override;

 private:
  std::string stage_name() const;
  double kd_weight() const override;
  // The teacher's hint tap for a batch (no graph); then student k's hint MSE from its tap.
  Tensor teacher_hint(const Tensor& images);
  Tensor hint_loss(size_t k, const Tensor& guided, const Tensor& target);
  FitnetOptions opts_;
  std::vector<Tensor> regressors_;  // [C_teacher, C_student, 1, 1] per student
  int64_t kd_step_ = 0, kd_steps_total_ = 1;
};

// fsp (Yim et al. 2017). Stage "fsp": every student minimises Σ_pairs fsp_loss(G_s, G_t, λ)
// where each pair is (stage input, stage output) of a network section, resized to the smaller
// spatial size by max- (paper) or avg-pooling; teacher fixed. With shuffle_fsp, each student
// sees the teacher's matrices with rows/columns permuted by its own random channel permutation
// (decorrelates ensemble students). Stage "train": CE from the stage-1 weights.
class FspStrategy : public KdStrategy {
 public:
  FspStrategy(const RunConfig& cfg, Roster roster);
  std::string name() const override { return "fsp"; }
  std::vector<StageSpec> stages() const override;
  void begin_stage(size_t index, const StageContext& ctx) override;
  StepLosses step(const data::Batch& batch) override;

  // The FSP matrices [B,m,n] of a network's (stage input, stage output) taps.
  std::vector<Tensor> fsp_matrices(nn::Model& model, const Tensor& images) const;

 private:
  std::string stage_name() const;
  std::vector<Tensor> teacher_matrices(const data::Batch& batch);
  // Per student: permutation matrices ([m,m], [n,n]) of each pair when shuffling; drawn at
  // construction from the run's seed, so a resumed run rebuilds the same ones.
  FspOptions opts_;
  std::vector<std::vector<std::pair<Tensor, Tensor>>> shuffles_;
  std::map<int64_t, std::vector<Tensor>> cache_;  // dataset index -> teacher matrices [m,n]
};

}  // namespace cohort::distill
