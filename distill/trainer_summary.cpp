// Trainer: the end of a run — the summary table and record (with the baseline's best top-1 when
// train.baseline is given) and each evaluated network's final weights.
#include "distill/metrics.h"
#include "distill/trainer.h"
#include "layers/weights.h"

namespace cohort::distill {

void Trainer::finish(const Position& pos, TrainResult& result) {
  // The last stage's evaluated networks.
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
  // A single network has no ensemble: no value, rather than a 0 that reads as a result.
  if (final_nets.size() > 1) result.ensemble_best_top1 = ensemble_best_;
  say("\n" + format_summary(result.summary) +
      (result.ensemble_best_top1 ? fmt::format("ensemble of {} networks: best top-1 {:.2f}%\n", final_nets.size(), *result.ensemble_best_top1) : "") +
      fmt::format("wall time {} (this invocation)", format_duration(elapsed_s())));
  nlohmann::json summary = nlohmann::json::array();
  for (const SummaryRow& r : result.summary)
    summary.push_back({{"network", r.network}, {"parameters", r.parameters}, {"best_top1", r.best_top1},
                       {"best_epoch", r.best_epoch}, {"final_top1", r.final_top1}, {"final_top5", r.final_top5},
                       {"final_entropy", r.final_entropy}});
  nlohmann::json summary_record = {
      {"type", "summary"}, {"step", pos.global_step}, {"networks", summary}, {"wall_time_s", elapsed_s()}};
  if (result.ensemble_best_top1) summary_record["ensemble_best_top1"] = *result.ensemble_best_top1;
  record(summary_record);
  // Each network's final weights on their own (PyTorch-compatible names): for `cohort eval`, as a
  // KD/FSP teacher (`strategy.teacher_weights`) or for loading in PyTorch. Written atomically.
  strategy_->synchronise();  // distributed runs, every rank: the owners' networks to the writer
  if (writer())
    for (Network* n : final_nets) nn::save_weights(*n->model, options_.out_dir + "/" + n->name + ".safetensors");
}

}  // namespace cohort::distill
