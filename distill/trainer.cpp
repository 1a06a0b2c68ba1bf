#include "distill/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "core/autograd.h"
#include "core/ops/elementwise.h"
#include "core/ops/losses.h"
#include "core/safetensors.h"
#include "layers/weights.h"
#include "distill/metrics.h"
#include "distill/metrics_rewind.h"
#include "distill/strategy_registry.h"
#include "optim/checkpoint.h"

namespace cohort::distill {

// Where the run is: which stage, which epoch of it, which batch of that epoch.
struct Trainer::Position {
  size_t stage = 0;
  int64_t epoch = 0;        // epoch within the stage
  int64_t batch = 0;        // next batch of that epoch
  int64_t stage_step = 0;   // steps taken in the stage (iteration-length stages)
  int64_t loader_epoch = 0; // epochs started over the whole run (seeds the loader's order)
  int64_t global_step = 0;
};

Trainer::Trainer(RunConfig cfg, TrainerOptions options)
    : cfg_(std::move(cfg)), options_(std::move(options)) {
  cfg_.validate();
  data_ = make_run_data(cfg_, options_.device);
  if (!data_.note.empty()) say("note: " + data_.note);
  strategy_ = options_.make_strategy
                  ? options_.make_strategy(cfg_, data_.num_classes, data_.channels, options_.device)
                  : make_strategy(cfg_, data_.num_classes, data_.channels, options_.device);
  // metrics.jsonl is opened by run(): building a trainer writes nothing.
}

Trainer::~Trainer() = default;

void Trainer::say(const std::string& line) const {
  if (!writer()) return;
  if (options_.print) options_.print(line);
  else std::printf("%s\n", line.c_str()), std::fflush(stdout);
}

EvalReport Trainer::evaluate() {
  NoGradGuard no_grad;
  std::vector<Network*> nets = strategy_->evaluated();
  std::vector<AccuracyMeter> meters(nets.size());
  std::vector<double> loss_sum(nets.size(), 0.0);  // test cross-entropy, summed over images
  AccuracyMeter ensemble;
  for (Network* n : nets) n->model->eval();
  auto it = data_.test->epoch(0);
  while (auto batch = it.next()) {
    const std::vector<Tensor> logits = strategy_->predict(batch->images);
    for (size_t k = 0; k < nets.size(); ++k) {
      meters[k].add(logits[k], batch->labels);
      loss_sum[k] += ops::cross_entropy(logits[k], batch->labels).item() * static_cast<double>(batch->labels.size(0));
    }
    if (nets.size() > 1) ensemble.add(ensemble_log_probs(logits), batch->labels);
  }
  EvalReport report;
  for (size_t k = 0; k < nets.size(); ++k)
    report.networks.push_back({nets[k]->name, meters[k].top1_pct(), meters[k].top5_pct(), meters[k].mean_entropy(),
                               meters[k].seen ? loss_sum[k] / static_cast<double>(meters[k].seen) : 0.0});
  if (nets.size() > 1) {
    report.has_ensemble = true;
    report.ensemble = {"ensemble", ensemble.top1_pct(), ensemble.top5_pct(), ensemble.mean_entropy()};
  }
  return report;
}

void Trainer::save_checkpoint(const Position& pos) {
  strategy_->synchronise();  // distributed runs, every rank: the owners' networks to the writer
  if (!writer()) return;
  optim::CheckpointParts parts;
  std::vector<std::string> part_names;
  for (auto& [name, tensors] : strategy_->checkpointed()) {
    part_names.push_back(name);
    parts.models.push_back(tensors);
  }
  for (Network* n : strategy_->trained()) {
    parts.optimizers.push_back(n->optimizer.get());
    parts.schedulers.push_back(n->scheduler.get());
  }
  nlohmann::json best = nlohmann::json::array();
  for (const SummaryRow& r : best_)
    best.push_back({{"network", r.network}, {"best_top1", r.best_top1}, {"best_epoch", r.best_epoch}});
  nlohmann::json extra = {{"stage", pos.stage},           {"epoch", pos.epoch},
                          {"batch", pos.batch},           {"stage_step", pos.stage_step},
                          {"loader_epoch", pos.loader_epoch}, {"global_step", pos.global_step},
                          {"parts", part_names},          {"strategy", strategy_->state()},
                          {"best", best},                 {"ensemble_best", ensemble_best_}};
  optim::save_checkpoint(checkpoint_path(), parts, extra);
}

namespace {

// The caller's "extra" JSON of a training checkpoint, from its header alone.
nlohmann::json checkpoint_extra(const std::string& path) {
  safetensors::Metadata meta = safetensors::load_metadata(path);
  auto it = meta.find("cohort.checkpoint");
  if (it == meta.end()) throw IOError(fmt::format("'{}' is not a cohort training checkpoint", path));
  try {
    return nlohmann::json::parse(it->second).at("extra");
  } catch (const nlohmann::json::exception& e) {
    throw IOError(fmt::format("'{}': malformed checkpoint metadata: {}", path, e.what()));
  }
}

}  // namespace

bool Trainer::past_end(const Position& pos) const {
  const std::vector<StageSpec> stages = strategy_->stages();
  if (pos.stage + 1 < stages.size()) return false;
  if (pos.stage >= stages.size()) return true;
  const StageSpec& last = stages.back();
  if (last.iterations) return pos.stage_step >= last.length;
  return pos.epoch >= last.length;
}

// Where a checkpoint's run stands, from its "extra" JSON; a missing or mistyped field is an
// IOError naming the file.
Trainer::Position Trainer::read_position(const nlohmann::json& extra, const std::string& path) {
  Position pos;
  try {
    pos.stage = extra.at("stage").get<size_t>();
    pos.epoch = extra.at("epoch").get<int64_t>();
    pos.batch = extra.at("batch").get<int64_t>();
    pos.stage_step = extra.at("stage_step").get<int64_t>();
    pos.loader_epoch = extra.at("loader_epoch").get<int64_t>();
    pos.global_step = extra.at("global_step").get<int64_t>();
  } catch (const nlohmann::json::exception& e) {
    throw IOError(fmt::format("'{}': malformed checkpoint position: {}", path, e.what()));
  }
  return pos;
}

bool Trainer::checkpoint_is_complete() const {
  return past_end(read_position(checkpoint_extra(checkpoint_path()), checkpoint_path()));
}

Trainer::Position Trainer::load_checkpoint() {
  // The stage decides which optimisers exist, so read it before restoring.
  const Position pos = read_position(checkpoint_extra(checkpoint_path()), checkpoint_path());
  COHORT_CHECK(pos.stage < strategy_->stages().size(), "resume: checkpoint stage {} does not exist in strategy {}",
               pos.stage, strategy_->name());
  StageContext ctx{&cfg_, data_.train->num_batches()};
  strategy_->begin_stage(pos.stage, ctx);
  optim::CheckpointParts parts;
  for (auto& [name, tensors] : strategy_->checkpointed()) parts.models.push_back(tensors);
  for (Network* n : strategy_->trained()) {
    parts.optimizers.push_back(n->optimizer.get());
    parts.schedulers.push_back(n->scheduler.get());
  }
  const nlohmann::json extra = optim::load_checkpoint(checkpoint_path(), parts);  // verifies the checksum
  strategy_->load_state(extra.at("strategy"));
  best_.clear();
  for (const auto& b : extra.at("best"))
    best_.push_back({.network = b.at("network"), .best_top1 = b.at("best_top1"), .best_epoch = b.at("best_epoch")});
  ensemble_best_ = extra.at("ensemble_best");
  return pos;
}

TrainResult Trainer::run() {
  const std::vector<StageSpec> stages = strategy_->stages();
  const int64_t steps_per_epoch = data_.train->num_batches();
  COHORT_CHECK(steps_per_epoch > 0, "train: the training set yields no batches");
  StageContext ctx{&cfg_, steps_per_epoch};
  const bool sched_iters = cfg_.schedule.unit == "iteration";
  const auto run_start = std::chrono::steady_clock::now();
  auto elapsed_s = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - run_start).count(); };
  auto stage_steps = [&](const StageSpec& s) { return s.iterations ? s.length : s.length * steps_per_epoch; };
  bool printed_progress = false;  // the first step of an invocation always prints a line

  TrainResult result;
  Position pos;
  bool resumed = false;
  if (options_.resume) {
    if (checkpoint_is_complete()) {
      result.already_complete = true;
      result.message = fmt::format("the run in {} is already complete ({} {} of stage '{}'): nothing to do",
                                   options_.out_dir, stages.back().length,
                                   stages.back().iterations ? "iterations" : "epochs", stages.back().name);
      say(result.message);
      return result;
    }
    pos = load_checkpoint();
    resumed = true;
    // The records after the checkpoint (a killed partial epoch) are redone by this run.
    if (writer()) rewind_metrics(options_.out_dir + "/metrics.jsonl", pos.global_step);
    say(fmt::format("resumed from {} at stage '{}', epoch {}, step {}", checkpoint_path(),
                    stages[pos.stage].name, pos.epoch + 1, pos.global_step));
  }
  if (writer()) log_ = std::make_unique<MetricsLog>(options_.out_dir, options_.resume);

  int64_t epochs_this_run = 0;
  for (; pos.stage < stages.size(); ++pos.stage) {
    const StageSpec& stage = stages[pos.stage];
    const bool last_stage = pos.stage + 1 == stages.size();
    if (!resumed) strategy_->begin_stage(pos.stage, ctx);
    resumed = false;
    const int64_t epochs = stage.iterations ? (stage.length + steps_per_epoch - 1) / steps_per_epoch : stage.length;
    const int64_t total_steps = stage.iterations ? stage.length : stage.length * steps_per_epoch;
    say(fmt::format("stage '{}' of {}: {} {} ({} steps of batch {}) on {}, data {}", stage.name,
                    strategy_->name(), stage.length, stage.iterations ? "iterations" : "epochs", total_steps,
                    cfg_.data.batch_size, options_.device.str(), data_.dataset));

    for (; pos.epoch < epochs && pos.stage_step < total_steps; ++pos.epoch, ++pos.loader_epoch) {
      std::vector<Network*> nets = strategy_->trained();
      std::vector<Tensor> ce_sum(nets.size()), transfer_sum(nets.size());
      std::vector<AccuracyMeter> train_acc(nets.size());  // over the steps whose losses are read
      int64_t epoch_steps = 0;
      Throughput speed;
      speed.start();
      auto it = data_.train->epoch(pos.loader_epoch, pos.batch);
      while (pos.stage_step < total_steps) {
        auto batch = it.next();
        if (!batch) break;
        StepLosses losses = strategy_->step(*batch);
        ++pos.stage_step, ++pos.global_step, ++epoch_steps;
        pos.batch = it.position();
        speed.tick(batch->images.size(0));
        for (size_t k = 0; k < nets.size(); ++k) {
          auto acc = [](Tensor& sum, const Tensor& v) { if (v.defined()) sum = sum.defined() ? ops::add(sum, v) : v; };
          acc(ce_sum[k], losses.ce[k]);
          acc(transfer_sum[k], losses.transfer[k]);
        }
        if (sched_iters)
          for (Network* n : nets) n->scheduler->step();
        if (options_.after_step) options_.after_step();

        // The last step of an epoch is always read too: NaN weights must never reach the checkpoint
        // written right after it, which a NaN stop later calls "the last good checkpoint".
        const bool epoch_end = pos.batch >= steps_per_epoch || pos.stage_step >= total_steps;
        const bool log_now = pos.global_step % cfg_.train.log_every == 0 || options_.device.is_cpu() || epoch_end ||
                             !printed_progress;
        if (!log_now) continue;
        // Loss values: the one host read of a training step, only at log steps and epoch ends
        // (every step on the CPU, where it costs nothing, so a NaN is caught at once).
        std::vector<double> totals;
        for (size_t k = 0; k < nets.size(); ++k) {
          double v = losses.total[k].item();
          if (!std::isfinite(v)) {
            result.stopped_on_nan = true;
            result.message = fmt::format(
                "loss of network {} is {} at stage '{}', epoch {}, step {}: stopping; the last good "
                "checkpoint ({}) is kept", nets[k]->name, v, stage.name, pos.epoch + 1, pos.global_step,
                std::filesystem::exists(checkpoint_path()) ? checkpoint_path() : "none yet");
            say("error: " + result.message);
            record({{"type", "error"}, {"step", pos.global_step}, {"message", result.message}});
            return result;
          }
          totals.push_back(v);
          if (k < losses.logits.size() && losses.logits[k].defined())
            train_acc[k].add(losses.logits[k], batch->labels, /*with_entropy=*/false);
        }
        if (pos.global_step % cfg_.train.log_every != 0 && printed_progress) continue;
        printed_progress = true;
        // Whole-run ETA: this stage's remaining steps and every later stage's, at this epoch's rate.
        int64_t remaining_steps = total_steps - pos.stage_step;
        for (size_t s = pos.stage + 1; s < stages.size(); ++s) remaining_steps += stage_steps(stages[s]);
        const int64_t remaining = remaining_steps * cfg_.data.batch_size;
        std::string parts, accuracy;
        nlohmann::json rec = {{"type", "train"}, {"stage", stage.name}, {"epoch", pos.epoch + 1},
                              {"step", pos.global_step}, {"images_per_s", speed.images_per_second()}};
        for (size_t k = 0; k < nets.size(); ++k) {
          parts += fmt::format(" {}={:.4f}", nets[k]->name, totals[k]);
          rec["loss"][nets[k]->name] = totals[k];
          rec["lr"][nets[k]->name] = nets[k]->scheduler->get_lr().front();
          if (train_acc[k].seen == 0) continue;
          accuracy += fmt::format(" {} {:.1f}%", nets[k]->name, train_acc[k].top1_pct());
          rec["train_top1"][nets[k]->name] = train_acc[k].top1_pct();
        }
        record(rec);
        say(fmt::format("[{}] epoch {}/{} step {}/{} loss{} | lr {:.4g} |{} | {:.0f} img/s | elapsed {} | "
                        "ETA {} (run)", stage.name, pos.epoch + 1, epochs, pos.stage_step, total_steps, parts,
                        nets.front()->scheduler->get_lr().front(),
                        accuracy.empty() ? " train top-1 -" : " train top-1" + accuracy,
                        speed.images_per_second(), format_duration(elapsed_s()),
                        format_duration(speed.eta_seconds(remaining))));
      }
      if (!sched_iters)
        for (Network* n : nets) n->scheduler->step();
      pos.batch = 0;

      const bool stage_done = pos.epoch + 1 >= epochs || pos.stage_step >= total_steps;
      if ((pos.epoch + 1) % cfg_.train.eval_every == 0 || stage_done) {
        EvalReport report = evaluate();
        nlohmann::json rec = {{"type", "eval"}, {"stage", stage.name}, {"epoch", pos.epoch + 1},
                              {"step", pos.global_step}};
        std::string line = fmt::format("[{}] epoch {}/{} eval:", stage.name, pos.epoch + 1, epochs);
        for (size_t k = 0; k < report.networks.size(); ++k) {
          const NetworkEval& e = report.networks[k];
          rec["networks"][e.name] = {{"top1", e.top1}, {"top5", e.top5}, {"entropy", e.entropy}, {"loss", e.loss}};
          line += fmt::format(" {} {:.2f}% (test loss {:.4f})", e.name, e.top1, e.loss);
          if (last_stage) {
            if (best_.size() <= k) best_.push_back({.network = e.name});
            if (e.top1 > best_[k].best_top1) best_[k].best_top1 = e.top1, best_[k].best_epoch = pos.epoch + 1;
          }
        }
        for (size_t k = 0; k < nets.size() && epoch_steps > 0; ++k) {
          if (ce_sum[k].defined()) rec["train_ce"][nets[k]->name] = ce_sum[k].item() / static_cast<double>(epoch_steps);
          if (transfer_sum[k].defined())
            rec["train_transfer"][nets[k]->name] = transfer_sum[k].item() / static_cast<double>(epoch_steps);
        }
        if (report.has_ensemble) {
          rec["ensemble"] = {{"top1", report.ensemble.top1}, {"top5", report.ensemble.top5}};
          line += fmt::format(" | ensemble {:.2f}%", report.ensemble.top1);
          if (last_stage) ensemble_best_ = std::max(ensemble_best_, report.ensemble.top1);
        }
        record(rec);
        say(line);
        result.final_eval = report;
      }
      if ((pos.epoch + 1) % cfg_.train.checkpoint_every == 0 || stage_done) {
        // Saved as "this epoch done" within the current stage, whose optimisers it holds; a
        // resumed run re-enters the stage and moves on to the next one from there.
        Position next = pos;
        next.epoch += 1, next.loader_epoch += 1, next.batch = 0;
        save_checkpoint(next);
      }
      if (options_.stop_after_epochs > 0 && ++epochs_this_run >= options_.stop_after_epochs) {
        result.interrupted = true;
        result.message = fmt::format("stopped after {} epoch(s) as asked; resume from {}", epochs_this_run,
                                     checkpoint_path());
        say(result.message);
        return result;
      }
    }
    pos.epoch = 0, pos.batch = 0, pos.stage_step = 0;
  }

  // Summary: the last stage's evaluated networks, with the baseline's best top-1 when given.
  std::vector<Network*> final_nets = strategy_->evaluated();
  std::vector<nlohmann::json> baseline;
  if (!cfg_.train.baseline.empty()) baseline = read_metrics(cfg_.train.baseline);
  for (size_t k = 0; k < final_nets.size() && k < best_.size(); ++k) {
    SummaryRow row = best_[k];
    row.parameters = final_nets[k]->model->num_parameters();
    for (const NetworkEval& e : result.final_eval.networks)
      if (e.name == row.network) row.final_top1 = e.top1, row.final_top5 = e.top5, row.final_entropy = e.entropy;
    for (const auto& rec : baseline) {
      if (rec.value("type", "") != "eval" || !rec.contains("networks")) continue;
      // The baseline network of the same position (an independent run of the same cohort).
      auto nets = rec["networks"];
      size_t i = 0;
      for (auto jt = nets.begin(); jt != nets.end(); ++jt, ++i) {
        if (i != k) continue;
        row.has_baseline = true;
        row.baseline_top1 = std::max(row.baseline_top1, jt.value().value("top1", 0.0));
      }
    }
    result.summary.push_back(row);
  }
  result.ensemble_best_top1 = ensemble_best_;
  say("\n" + format_summary(result.summary) +
      (final_nets.size() > 1 ? fmt::format("ensemble of {} networks: best top-1 {:.2f}%\n", final_nets.size(), ensemble_best_) : "") +
      fmt::format("wall time {} (this invocation)", format_duration(elapsed_s())));
  nlohmann::json summary = nlohmann::json::array();
  for (const SummaryRow& r : result.summary)
    summary.push_back({{"network", r.network}, {"parameters", r.parameters}, {"best_top1", r.best_top1},
                       {"best_epoch", r.best_epoch}, {"final_top1", r.final_top1}, {"final_top5", r.final_top5},
                       {"final_entropy", r.final_entropy}});
  record({{"type", "summary"}, {"step", pos.global_step}, {"networks", summary},
               {"ensemble_best_top1", ensemble_best_}, {"wall_time_s", elapsed_s()}});
  // Each network's final weights on their own (PyTorch-compatible names): for `cohort eval`, as a
  // KD/FSP teacher (`strategy.teacher_weights`) or for loading in PyTorch. Written atomically.
  strategy_->synchronise();
  if (writer())
    for (Network* n : final_nets) nn::save_weights(*n->model, options_.out_dir + "/" + n->name + ".safetensors");
  return result;
}

}  // namespace cohort::distill
