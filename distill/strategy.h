// A distillation strategy owns the per-step logic of one method (independent, kd, dml, fitnet,
// fsp): which networks run forward, which losses they combine, which optimisers step, and in
// which order. The Trainer (distill/trainer.h) owns everything around it: data, stages, epochs,
// schedules, evaluation, logging, checkpoints.
//
// Training can have several stages (e.g. FSP: stage 1 minimises the FSP loss only, stage 2
// trains with cross-entropy from the stage-1 weights; KD with no teacher weights: stage 0 trains
// the teacher first). Each stage has a length in epochs or iterations; at its start the strategy
// builds fresh optimisers and schedules for the networks that stage trains.
#pragma once

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
};

// What a strategy needs from the run when it builds optimisers.
struct StageContext {
  const RunConfig* config = nullptr;
  int64_t steps_per_epoch = 0;
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual std::string name() const = 0;
  virtual std::vector<StageSpec> stages() const = 0;
  // Enters stage `index`: (re)builds the optimisers/schedulers of the networks it trains.
  virtual void begin_stage(size_t index, const StageContext& ctx) = 0;
  // One optimisation step on a batch (images/labels on the training device).
  virtual StepLosses step(const data::Batch& batch) = 0;

  // The networks the current stage trains (their optimisers/schedulers are live) — the trainer
  // steps their schedules, logs their losses and checkpoints them.
  virtual std::vector<Network*> trained() = 0;
  // The networks evaluated each epoch and reported in the summary (the students).
  virtual std::vector<Network*> evaluated() = 0;
  // Every tensor a checkpoint must hold besides optimiser state, as (part name, live tensors):
  // each network's state_dict, FitNet regressors, ... Restoring copies into these handles.
  virtual std::vector<std::pair<std::string, NamedTensors>> checkpointed() = 0;
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
};

}  // namespace cohort::distill
