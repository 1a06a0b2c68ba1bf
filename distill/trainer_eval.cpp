// Trainer: evaluation on the test loader and the per-epoch "eval" record.
#include "core/autograd.h"
#include "core/ops/losses.h"
#include "distill/metrics.h"
#include "distill/trainer.h"
#include "distill/trainer_epoch.h"

namespace cohort::distill {

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

void Trainer::eval_epoch(const Position& pos, const StageLength& len, const std::vector<Network*>& nets,
                         const EpochStats& stats, TrainResult& result) {
  const StageSpec& stage = stages_[pos.stage];
  const bool last_stage = pos.stage + 1 == stages_.size();
  EvalReport report = evaluate();
  nlohmann::json rec = {{"type", "eval"}, {"stage", stage.name}, {"epoch", pos.epoch + 1}, {"step", pos.global_step}};
  std::string line = fmt::format("[{}] epoch {}/{} eval:", stage.name, pos.epoch + 1, len.epochs);
  for (size_t k = 0; k < report.networks.size(); ++k) {
    const NetworkEval& e = report.networks[k];
    rec["networks"][e.name] = {{"top1", e.top1}, {"top5", e.top5}, {"entropy", e.entropy}, {"loss", e.loss}};
    line += fmt::format(" {} {:.2f}% (test loss {:.4f})", e.name, e.top1, e.loss);
    if (last_stage) {
      if (best_.size() <= k) best_.push_back({.network = e.name});
      if (e.top1 > best_[k].best_top1) best_[k].best_top1 = e.top1, best_[k].best_epoch = pos.epoch + 1;
    }
  }
  for (size_t k = 0; k < nets.size() && stats.steps > 0; ++k) {
    if (stats.ce_sum[k].defined())
      rec["train_ce"][nets[k]->name] = stats.ce_sum[k].item() / static_cast<double>(stats.steps);
    if (stats.transfer_sum[k].defined())
      rec["train_transfer"][nets[k]->name] = stats.transfer_sum[k].item() / static_cast<double>(stats.steps);
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

}  // namespace cohort::distill
