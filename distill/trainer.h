// Trainer: runs a Strategy over the data, stage by stage and epoch by epoch.
//
// Per step: strategy.step(batch); the schedules of iteration-unit runs step. After the first step
// and every log_every steps: a progress line (stage, epoch, step, loss per network, lr, running
// train top-1, images/s, elapsed time, ETA of the whole run across stages) and a "train" record
// in metrics.jsonl. Per epoch: epoch-unit schedules step; every eval_every epochs an
// "eval" record (top-1/top-5 and mean posterior entropy per network, the ensemble of the
// evaluated networks, mean train losses split into CE and transfer parts); every
// checkpoint_every epochs an atomic checkpoint holding weights, optimisers, schedules, the
// strategy's state and the loader position, from which `resume` continues bit-exactly on the CPU.
// A non-finite loss stops the run with a message naming the network and step; the last good
// checkpoint is kept. The only host syncs are the loss reads at log steps, at the last step of
// each epoch (so no checkpoint holds NaN weights) and evaluation.
// Resuming rewinds metrics.jsonl to the checkpoint's step (the records of a killed partial epoch
// go), and resuming a complete run changes nothing (TrainResult::already_complete).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "distill/data_setup.h"
#include "distill/run_log.h"
#include "distill/strategy.h"

namespace cohort::distill {

struct TrainerOptions {
  std::string out_dir = "runs/run";
  bool resume = false;  // continue from out_dir/checkpoint.safetensors
  // The training device; unset: the config's `device`, resolved by resolve_device
  // (distill/device.h).
  std::optional<Device> device = std::nullopt;
  std::function<void(const std::string&)> print;  // progress output; default: stdout
  // > 0: stop after this many epochs of this invocation, right after the checkpoint — an
  // interruption on purpose (resume tests, time-boxed jobs).
  int64_t stop_after_epochs = 0;
  // Called after every training step; an exception it throws ends the run there (the last
  // checkpoint, written atomically, stays valid). The Python binding checks Ctrl-C here.
  std::function<void()> after_step = nullptr;
  // Builds the run's strategy; empty: make_strategy (distill/strategy_registry.h). A distributed
  // run passes distributed/'s (docs/distributed.md).
  std::function<std::unique_ptr<Strategy>(const RunConfig&, int64_t num_classes, int64_t in_channels, Device)>
      make_strategy = nullptr;
  // false on every rank but rank 0 of a distributed run: prints nothing and writes no file
  // (metrics, checkpoints, weights); it still reads a checkpoint to resume.
  bool writer = true;
};

struct NetworkEval {
  std::string name;
  double top1 = 0, top5 = 0, entropy = 0;
  double loss = 0;  // mean test cross-entropy
};

struct EvalReport {
  std::vector<NetworkEval> networks;
  bool has_ensemble = false;
  NetworkEval ensemble;
};

struct TrainResult {
  std::vector<SummaryRow> summary;  // the evaluated networks of the last stage
  EvalReport final_eval;
  std::optional<double> ensemble_best_top1;  // runs of two or more networks only
  bool stopped_on_nan = false;
  bool interrupted = false;  // stop_after_epochs reached
  bool already_complete = false;  // resumed from a checkpoint past the end of the run: nothing done
  std::string message;  // why the run stopped early, if it did
};

class Trainer {
 public:
  Trainer(RunConfig cfg, TrainerOptions options);
  ~Trainer();
  TrainResult run();

  // Resuming: whether the checkpoint is at the end of the run as the config now defines it (its
  // last stage done), so run() would change nothing. Reads only the checkpoint's metadata.
  bool checkpoint_is_complete() const;

  // Evaluates the strategy's evaluated() networks (and their ensemble) on the test loader.
  EvalReport evaluate();
  Strategy& strategy() { return *strategy_; }
  const RunData& data() const { return data_; }
  Device device() const { return device_; }
  std::string checkpoint_path() const { return options_.out_dir + "/checkpoint.safetensors"; }

 private:
  // Where the run is: which stage, which epoch of it, which batch of that epoch.
  struct Position {
    size_t stage = 0;
    int64_t epoch = 0;         // epoch within the stage
    int64_t batch = 0;         // next batch of that epoch
    int64_t stage_step = 0;    // steps taken in the stage (iteration-length stages)
    int64_t loader_epoch = 0;  // epochs started over the whole run (seeds the loader's order)
    int64_t global_step = 0;
  };
  // The current stage's length in epochs and steps.
  struct StageLength {
    int64_t epochs = 0;
    int64_t steps = 0;
  };
  // What one epoch accumulates for its eval record and its progress lines.
  struct EpochStats;

  // trainer.cpp: the loops. Each returns false when the run stops early (NaN, stop_after_epochs).
  bool run_stage(Position& pos, bool resumed, TrainResult& result);
  bool run_epoch(Position& pos, const StageLength& len, TrainResult& result);
  StageLength stage_length(const StageSpec& stage) const;
  // trainer_log.cpp: the progress line and "train" record of a step.
  void log_progress(const Position& pos, const StageLength& len, const std::vector<Network*>& nets,
                    const std::vector<double>& totals, EpochStats& stats);
  std::string non_finite_message(const Position& pos, const std::string& network, double value) const;
  // trainer_eval.cpp: evaluate, write the "eval" record, track the best accuracies.
  void eval_epoch(const Position& pos, const StageLength& len, const std::vector<Network*>& nets,
                  const EpochStats& stats, TrainResult& result);
  // trainer_checkpoint.cpp
  void save_checkpoint(const Position& pos);
  bool writer() const { return options_.writer; }
  void record(const nlohmann::json& rec) { if (log_) log_->write(rec); }
  Position load_checkpoint();
  bool past_end(const Position& pos) const;
  static Position read_position(const nlohmann::json& extra, const std::string& path);
  // trainer_summary.cpp: the summary table and record, and each network's final weights.
  void finish(const Position& pos, TrainResult& result);

  void say(const std::string& line) const;
  double elapsed_s() const;

  RunConfig cfg_;
  TrainerOptions options_;
  Device device_;
  RunData data_;
  std::unique_ptr<Strategy> strategy_;
  std::unique_ptr<MetricsLog> log_;
  std::vector<SummaryRow> best_;  // running best per evaluated network (last stage)
  double ensemble_best_ = 0;
  // Per run() invocation.
  std::vector<StageSpec> stages_;
  int64_t steps_per_epoch_ = 0;
  std::chrono::steady_clock::time_point run_start_;
  bool printed_progress_ = false;  // the first step of an invocation always prints a line
  int64_t epochs_this_run_ = 0;
};

}  // namespace cohort::distill
