// Trainer: the progress line and "train" record of a logged step, and the message of a
// non-finite loss.
#include <filesystem>

#include "distill/trainer.h"
#include "distill/trainer_epoch.h"

namespace cohort::distill {

void Trainer::EpochStats::add(const StepLosses& losses) {
  auto acc = [](Tensor& sum, const Tensor& v) {
    if (v.defined()) sum = sum.defined() ? sum + v : v;
  };
  for (size_t k = 0; k < ce_sum.size(); ++k) {
    acc(ce_sum[k], losses.ce[k]);
    acc(transfer_sum[k], losses.transfer[k]);
  }
}

std::string Trainer::non_finite_message(const Position& pos, const std::string& network, double value) const {
  return fmt::format("loss of network {} is {} at stage '{}', epoch {}, step {}: stopping; the last good "
                     "checkpoint ({}) is kept", network, value, stages_[pos.stage].name, pos.epoch + 1,
                     pos.global_step, std::filesystem::exists(checkpoint_path()) ? checkpoint_path() : "none yet");
}

void Trainer::log_progress(const Position& pos, const StageLength& len, const std::vector<Network*>& nets,
                           const std::vector<double>& totals, EpochStats& stats) {
  printed_progress_ = true;
  const StageSpec& stage = stages_[pos.stage];
  // Whole-run ETA: this stage's remaining steps and every later stage's, at this epoch's rate.
  int64_t remaining_steps = len.steps - pos.stage_step;
  for (size_t s = pos.stage + 1; s < stages_.size(); ++s) remaining_steps += stage_length(stages_[s]).steps;
  const int64_t remaining = remaining_steps * cfg_.data.batch_size;
  std::string parts, accuracy;
  nlohmann::json rec = {{"type", "train"}, {"stage", stage.name}, {"epoch", pos.epoch + 1},
                        {"step", pos.global_step}, {"images_per_s", stats.speed.images_per_second()}};
  for (size_t k = 0; k < nets.size(); ++k) {
    parts += fmt::format(" {}={:.4f}", nets[k]->name, totals[k]);
    rec["loss"][nets[k]->name] = totals[k];
    rec["lr"][nets[k]->name] = nets[k]->scheduler->get_lr().front();
    if (stats.train_acc[k].seen == 0) continue;
    accuracy += fmt::format(" {} {:.1f}%", nets[k]->name, stats.train_acc[k].top1_pct());
    rec["train_top1"][nets[k]->name] = stats.train_acc[k].top1_pct();
  }
  record(rec);
  say(fmt::format("[{}] epoch {}/{} step {}/{} loss{} | lr {:.4g} |{} | {:.0f} img/s | elapsed {} | "
                  "ETA {} (run)", stage.name, pos.epoch + 1, len.epochs, pos.stage_step, len.steps, parts,
                  nets.front()->scheduler->get_lr().front(),
                  accuracy.empty() ? " train top-1 -" : " train top-1" + accuracy, stats.speed.images_per_second(),
                  format_duration(elapsed_s()), format_duration(stats.speed.eta_seconds(remaining))));
}

}  // namespace cohort::distill
