// A distillation strategy owns the per-step logic of one method (independent, kd, dml, fitnet,
// fsp): which networks run forward, which losses they combine, which optimisers step, and in
// which order. The Trainer (distill/trainer.h) owns everything around it: data, stages, epochs,
// schedules, evaluation, logging, checkpoints.
//
// The Strategy base owns the roster (the students, an optional teacher, extra trainable tensors
// such as FitNet's regressors) and a stage table: each Stage is {spec, step function, what it
// trains}. A strategy's constructor fills the table (add_stage, add_teacher_stage); the base
// enters stages (fresh optimisers and schedules for what the stage trains), dispatches step() to
// the current stage and answers trained() / evaluated() / checkpointed() from the roster.
//
// Training can have several stages (e.g. FSP: stage 1 minimises the FSP loss only, stage 2
// trains with cross-entropy from the stage-1 weights; KD with no teacher weights: stage 0 trains
// the teacher first). Each stage has a length in epochs or iterations. Stage names are written
// into metrics.jsonl and checkpoints hold the stage's index: keep both when changing a strategy,
// or checkpoints written before the change resume into the wrong stage.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "datasets/loader.h"
#include "distill/run_config.h"
#include "layers/models/registry.h"
#include "optim/optimizer.h"
#include "optim/scheduler.h"

namespace cohort::distill {

// One network with its optimiser and schedule (those exist while a stage trains it).
struct Network {
  std::string name;
  std::string model_name;
  std::shared_ptr<nn::Model> model;
  std::unique_ptr<optim::Optimizer> optimizer;
  std::unique_ptr<optim::LrScheduler> scheduler;
};

// The networks a strategy is built with: the config's networks (the students) and, for a
// strategy whose options name a teacher, the teacher (built by build_roster in
// distill/strategy_registry.h; tests may wrap the models first).
struct Roster {
  std::vector<Network> students;
  std::optional<Network> teacher;
};

struct StageSpec {
  std::string name;     // "teacher", "train", "fsp", "hint", "kd", ...
  int64_t length = 0;   // in `unit`s
  bool iterations = false;  // length counts iterations (else epochs)
};

// The loss parts of one step for each trained network, as device scalars: the trainer reads them
// (a host sync) only when it logs.
struct StepLosses {
  std::vector<Tensor> ce;        // cross-entropy part (undefined where a stage has none)
  std::vector<Tensor> transfer;  // mimicry / KD / hint / FSP part (undefined where none)
  std::vector<Tensor> total;     // what was minimised
  // Each trained network's logits of the step, detached (undefined where a stage computes none,
  // e.g. FitNet's hint stage): the trainer's running train top-1.
  std::vector<Tensor> logits;

  // Appends one network's parts (undefined tensors where a part does not exist).
  void add(const Tensor& ce_part, const Tensor& transfer_part, const Tensor& total_part, const Tensor& z);
};

// What a strategy needs from the run when it builds optimisers.
struct StageContext {
  const RunConfig* config = nullptr;
  int64_t steps_per_epoch = 0;
};

// Which networks of the roster a stage trains.
enum class Trains { students, teacher };

// One row of a strategy's stage table.
struct Stage {
  StageSpec spec;
  std::function<StepLosses(const data::Batch&)> step;
  Trains trains = Trains::students;
  double lr = 0.0;           // > 0: this stage's learning rate (else optimizer.lr)
  bool with_extras = false;  // each student's extra tensors train in its optimiser
  // Called after the stage's optimisers are built (e.g. to reset a per-stage step counter).
  std::function<void(const StageSpec&, const StageContext&)> on_begin = nullptr;
};

// A trainable tensor set beyond the networks (FitNet's regressor per student): checkpointed as
// part `part`, trained with student `student` in stages with_extras, named `prefix` + tensor name
// in its optimiser.
struct ExtraTrainable {
  size_t student = 0;
  std::string part;
  std::string prefix;
  NamedTensors tensors;
};

// The KD objective of a student: L = ce_weight · CE(z_s, y) + kd_weight · kd_kl(z_s, z_t, T).
struct KdWeights {
  double temperature = 1.0;
  double ce_weight = 1.0;
  double kd_weight = 1.0;
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  Strategy(const Strategy&) = delete;
  Strategy& operator=(const Strategy&) = delete;

  // strategy.name of the config it was built from.
  const std::string& name() const { return cfg_.strategy.name; }
  // stages(), step() and trained() are virtual for decorators only (data parallelism,
  // distributed/data_parallel.h wraps any strategy); strategies fill the stage table instead.
  virtual std::vector<StageSpec> stages() const;
  // Enters stage `index`: (re)builds the optimisers/schedulers of the networks it trains and stops
  // training the others.
  virtual void begin_stage(size_t index, const StageContext& ctx);
  // One optimisation step of the current stage on a batch (images/labels on the training device).
  virtual StepLosses step(const data::Batch& batch);

  // The networks the current stage trains (their optimisers/schedulers are live) — the trainer
  // steps their schedules, logs their losses and checkpoints them.
  virtual std::vector<Network*> trained();
  // The networks evaluated each epoch and reported in the summary: those the stage trains (the
  // teacher while it is pretrained, the students after).
  virtual std::vector<Network*> evaluated() { return trained(); }
  // Every tensor a checkpoint must hold besides optimiser state, as (part name, live tensors):
  // each student's state_dict, the teacher's, then the extra trainables. Restoring copies into
  // these handles.
  virtual std::vector<std::pair<std::string, NamedTensors>> checkpointed();
  // Evaluation: the logits of every evaluated() network on `images`, in that order (the trainer
  // has put them in eval mode, without a graph). Distributed strategies (distributed/) compute
  // their own networks' and gather the others'.
  virtual std::vector<Tensor> predict(const Tensor& images);
  // Before a checkpoint or the final weights are written: makes this process's copy of every
  // network (weights, buffers, optimiser state) current. Only distributed strategies have
  // anything to do (their networks train on other ranks); a collective there.
  virtual void synchronise() {}
  // Scalar state beyond weights and optimisers (step counters, generator offsets).
  virtual nlohmann::json state() const { return nlohmann::json::object(); }
  virtual void load_state(const nlohmann::json&) {}

 protected:
  Strategy(const RunConfig& cfg, Roster roster);

  void add_stage(Stage stage);
  // Without teacher weights, a first stage "teacher" trains the teacher with CE for
  // teacher.epochs epochs (an error when that is 0).
  void add_teacher_stage(const TeacherOptions& teacher);

  // The cross-entropy step of `nets`: each forwards in training mode and minimises CE(z, y).
  StepLosses ce_step(const std::vector<Network*>& nets, const data::Batch& batch);
  // One KD step of every student against the fixed teacher (one teacher forward per batch).
  StepLosses kd_step(const data::Batch& batch, const KdWeights& w);
  std::vector<Network*> students();
  Network& teacher();
  bool has_teacher() const { return roster_.teacher.has_value(); }
  // The fixed teacher's logits: eval mode, no graph.
  Tensor teacher_logits(const Tensor& images);
  size_t stage_index() const { return stage_; }

  RunConfig cfg_;
  Roster roster_;
  std::vector<ExtraTrainable> extras_;

 private:
  std::vector<Stage> stages_;
  size_t stage_ = 0;
};

}  // namespace cohort::distill
