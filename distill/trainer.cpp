// Trainer: construction and the loops — run() over stages, run_stage() over epochs, run_epoch()
// over steps. Logging, evaluation, checkpoints and the summary live in trainer_log.cpp,
// trainer_eval.cpp, trainer_checkpoint.cpp and trainer_summary.cpp.
#include "distill/trainer.h"

#include <cmath>
#include <cstdio>

#include "distill/device.h"
#include "distill/metrics_rewind.h"
#include "distill/strategy_registry.h"
#include "distill/trainer_epoch.h"

namespace cohort::distill {

Trainer::Trainer(RunConfig cfg, TrainerOptions options)
    : cfg_(std::move(cfg)), options_(std::move(options)), device_(Device::cpu()) {
  cfg_.validate();
  device_ = options_.device ? *options_.device : resolve_device(cfg_.device);
  data_ = make_run_data(cfg_, device_);
  if (!data_.note.empty()) say("note: " + data_.note);
  strategy_ = options_.make_strategy ? options_.make_strategy(cfg_, data_.num_classes, data_.channels, device_)
                                     : make_strategy(cfg_, data_.num_classes, data_.channels, device_);
  // metrics.jsonl is opened by run(): building a trainer writes nothing.
}

Trainer::~Trainer() = default;

void Trainer::say(const std::string& line) const {
  if (!writer()) return;
  if (options_.print) options_.print(line);
  else std::printf("%s\n", line.c_str()), std::fflush(stdout);
}

double Trainer::elapsed_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - run_start_).count();
}

Trainer::StageLength Trainer::stage_length(const StageSpec& stage) const {
  if (stage.iterations) return {(stage.length + steps_per_epoch_ - 1) / steps_per_epoch_, stage.length};
  return {stage.length, stage.length * steps_per_epoch_};
}

TrainResult Trainer::run() {
  stages_ = strategy_->stages();
  steps_per_epoch_ = data_.train->num_batches();
  COHORT_CHECK(steps_per_epoch_ > 0, "train: the training set yields no batches");
  run_start_ = std::chrono::steady_clock::now();
  printed_progress_ = false;
  epochs_this_run_ = 0;

  TrainResult result;
  Position pos;
  bool resumed = false;
  if (options_.resume) {
    if (checkpoint_is_complete()) {
      result.already_complete = true;
      result.message = fmt::format("the run in {} is already complete ({} {} of stage '{}'): nothing to do",
                                   options_.out_dir, stages_.back().length,
                                   stages_.back().iterations ? "iterations" : "epochs", stages_.back().name);
      say(result.message);
      return result;
    }
    pos = load_checkpoint();
    resumed = true;
    // The records after the checkpoint (a killed partial epoch) are redone by this run.
    if (writer()) rewind_metrics(options_.out_dir + "/metrics.jsonl", pos.global_step);
    say(fmt::format("resumed from {} at stage '{}', epoch {}, step {}", checkpoint_path(),
                    stages_[pos.stage].name, pos.epoch + 1, pos.global_step));
  }
  if (writer()) log_ = std::make_unique<MetricsLog>(options_.out_dir, options_.resume);

  for (; pos.stage < stages_.size(); ++pos.stage) {
    if (!run_stage(pos, resumed, result)) return result;
    resumed = false;
  }
  finish(pos, result);
  return result;
}

bool Trainer::run_stage(Position& pos, bool resumed, TrainResult& result) {
  const StageSpec& stage = stages_[pos.stage];
  // A resumed run re-entered its stage when it loaded the checkpoint.
  if (!resumed) strategy_->begin_stage(pos.stage, StageContext{&cfg_, steps_per_epoch_});
  const StageLength len = stage_length(stage);
  say(fmt::format("stage '{}' of {}: {} {} ({} steps of batch {}) on {}, data {}", stage.name, strategy_->name(),
                  stage.length, stage.iterations ? "iterations" : "epochs", len.steps, cfg_.data.batch_size,
                  device_.str(), data_.dataset));
  for (; pos.epoch < len.epochs && pos.stage_step < len.steps; ++pos.epoch, ++pos.loader_epoch)
    if (!run_epoch(pos, len, result)) return false;
  pos.epoch = 0, pos.batch = 0, pos.stage_step = 0;
  return true;
}

bool Trainer::run_epoch(Position& pos, const StageLength& len, TrainResult& result) {
  const bool sched_iters = cfg_.schedule.unit == "iteration";
  std::vector<Network*> nets = strategy_->trained();
  EpochStats stats(nets.size());
  stats.speed.start();
  auto it = data_.train->epoch(pos.loader_epoch, pos.batch);
  while (pos.stage_step < len.steps) {
    auto batch = it.next();
    if (!batch) break;
    StepLosses losses = strategy_->step(*batch);
    ++pos.stage_step, ++pos.global_step, ++stats.steps;
    pos.batch = it.position();
    stats.speed.tick(batch->images.size(0));
    stats.add(losses);
    if (sched_iters)
      for (Network* n : nets) n->scheduler->step();
    if (options_.after_step) options_.after_step();

    // The last step of an epoch is always read too: NaN weights must never reach the checkpoint
    // written right after it, which a NaN stop later calls "the last good checkpoint".
    const bool epoch_end = pos.batch >= steps_per_epoch_ || pos.stage_step >= len.steps;
    const bool log_now =
        pos.global_step % cfg_.train.log_every == 0 || device_.is_cpu() || epoch_end || !printed_progress_;
    if (!log_now) continue;
    // Loss values: the one host read of a training step, only at log steps and epoch ends
    // (every step on the CPU, where it costs nothing, so a NaN is caught at once).
    std::vector<double> totals;
    for (size_t k = 0; k < nets.size(); ++k) {
      double v = losses.total[k].item();
      if (!std::isfinite(v)) {
        result.stopped_on_nan = true;
        result.message = non_finite_message(pos, nets[k]->name, v);
        say("error: " + result.message);
        record({{"type", "error"}, {"step", pos.global_step}, {"message", result.message}});
        return false;
      }
      totals.push_back(v);
      if (k < losses.logits.size() && losses.logits[k].defined())
        stats.train_acc[k].add(losses.logits[k], batch->labels, /*with_entropy=*/false);
    }
    if (pos.global_step % cfg_.train.log_every != 0 && printed_progress_) continue;
    log_progress(pos, len, nets, totals, stats);
  }
  if (!sched_iters)
    for (Network* n : nets) n->scheduler->step();
  pos.batch = 0;

  const bool stage_done = pos.epoch + 1 >= len.epochs || pos.stage_step >= len.steps;
  if ((pos.epoch + 1) % cfg_.train.eval_every == 0 || stage_done) eval_epoch(pos, len, nets, stats, result);
  if ((pos.epoch + 1) % cfg_.train.checkpoint_every == 0 || stage_done) {
    // Saved as "this epoch done" within the current stage, whose optimisers it holds; a resumed
    // run re-enters the stage and moves on to the next one from there.
    Position next = pos;
    next.epoch += 1, next.loader_epoch += 1, next.batch = 0;
    save_checkpoint(next);
  }
  if (options_.stop_after_epochs > 0 && ++epochs_this_run_ >= options_.stop_after_epochs) {
    result.interrupted = true;
    result.message =
        fmt::format("stopped after {} epoch(s) as asked; resume from {}", epochs_this_run_, checkpoint_path());
    say(result.message);
    return false;
  }
  return true;
}

}  // namespace cohort::distill
