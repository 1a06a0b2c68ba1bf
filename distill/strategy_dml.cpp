// dml: Deep Mutual Learning (Zhang, Xiang, Hospedales, Lu; CVPR 2018).
// L_k = CE(z_k, y) + λ · D_k, with D_k the cohort mimicry term of ops::dml_mimicry (peers
// detached; average 1/(K−1) Σ_{l≠k} KL(p_l‖p_k), sum, or ensemble KL(mean_{l≠k} p_l ‖ p_k)) at
// temperature T.
//   sync:       one forward of every network, all losses from those predictions, all step.
//   sequential: Algorithm 1 — network k steps using its peers' CURRENT predictions: one training
//               forward of every network first, then each of networks 1..K−1 re-predicted once
//               after its update (the algorithm's only extra forwards; they restore the BN
//               running statistics, so those are updated once per batch per network).
// Semi-supervised (labelled_fraction < 1): CE only on labelled rows, mimicry on all rows.
#include "core/autograd.h"
#include "core/ops/elementwise.h"
#include "core/ops/losses.h"
#include "distill/bn_state.h"
#include "distill/strategy_common.h"
#include "distill/strategy_dml_options.h"
#include "distill/strategy_registry.h"

namespace cohort::distill {

namespace {

class DmlStrategy : public Strategy {
 public:
  DmlStrategy(const RunConfig& cfg, Roster roster)
      : Strategy(cfg, std::move(roster)), opts_(cfg.strategy.options<DmlOptions>()) {
    COHORT_CHECK(roster_.students.size() >= 2, "dml: needs at least 2 networks, got {}", roster_.students.size());
    mimicry_.mode = opts_.mode();
    add_stage({.spec = main_stage(cfg_, "train"), .step = [this](const data::Batch& b) { return dml_step(b); }});
  }

 private:
  StepLosses dml_step(const data::Batch& batch) {
    int64_t labelled = batch.labels.size(0);
    Tensor labels = cfg_.data.labelled_fraction < 1.0
                        ? mask_unlabelled(batch, cfg_.seed, cfg_.data.labelled_fraction, &labelled)
                        : batch.labels;
    return opts_.update == DmlUpdate::sequential ? step_sequential(batch, labels, labelled > 0)
                                                 : step_sync(batch, labels, labelled > 0);
  }

  // λ·D plus, when the batch has labelled rows, CE(z, labels).
  Tensor objective(const Tensor& d, const Tensor& z, const Tensor& labels, bool any_labelled, Tensor* ce) const {
    Tensor total = d * opts_.mimicry_weight;
    if (!any_labelled) return total;
    *ce = ops::cross_entropy(z, labels);
    return total + *ce;
  }

  StepLosses step_sync(const data::Batch& batch, const Tensor& labels, bool any_labelled);
  StepLosses step_sequential(const data::Batch& batch, const Tensor& labels, bool any_labelled);

  DmlOptions opts_;
  ops::DmlOptions mimicry_;  // the cohort term's mode, from peer_reduction and teacher
};

StepLosses DmlStrategy::step_sync(const data::Batch& batch, const Tensor& labels, bool any_labelled) {
  std::vector<Tensor> logits;
  for (Network* n : students()) {
    n->model->train();
    logits.push_back(n->model->forward(batch.images));
  }
  // One cohort launch: every student's mimicry term, each with its peers detached, so the sum of
  // all students' losses has exactly the per-student gradients of the paper.
  Tensor mimicry = ops::dml_mimicry(logits, opts_.temperature, mimicry_);
  StepLosses out;
  Tensor total_all;
  for (size_t k = 0; k < logits.size(); ++k) {
    Tensor d = mimicry[static_cast<int64_t>(k)];
    Tensor ce;
    Tensor total = objective(d, logits[k], labels, any_labelled, &ce);
    out.add(ce, d, total, logits[k]);
    total_all = total_all.defined() ? total_all + total : total;
  }
  for (Network* n : students()) n->optimizer->zero_grad();
  total_all.backward();
  for (Network* n : students()) n->optimizer->step();
  return out;
}

StepLosses DmlStrategy::step_sequential(const data::Batch& batch, const Tensor& labels, bool any_labelled) {
  std::vector<Network*> nets = students();
  const size_t K = nets.size();
  // Each network's training pass, with its graph, before anyone steps: network k's weights do
  // not change until its own step, so this pass is both its prediction for networks 0..k-1 and
  // the logits it trains on (one forward, BN statistics updated once).
  std::vector<Tensor> logits(K), predictions(K);
  for (size_t l = 0; l < K; ++l) {
    nets[l]->model->train();
    logits[l] = nets[l]->model->forward(batch.images);
    predictions[l] = logits[l].detach();
  }
  // A re-prediction after network l stepped (Algorithm 1: later peers learn from its NEW output);
  // prediction-only passes restore the BN running statistics afterwards.
  auto predict = [&](size_t l) {
    BufferSnapshot snapshot(*nets[l]->model);
    NoGradGuard no_grad;
    nets[l]->model->train();
    predictions[l] = nets[l]->model->forward(batch.images).detach();
    snapshot.restore();
  };

  StepLosses out;
  for (size_t k = 0; k < K; ++k) {
    const Tensor& z = logits[k];
    std::vector<Tensor> cohort = predictions;
    cohort[k] = z;
    Tensor d = ops::dml_mimicry(cohort, opts_.temperature, mimicry_)[static_cast<int64_t>(k)];
    Tensor ce;
    Tensor total = objective(d, z, labels, any_labelled, &ce);
    minimise(*nets[k], total);
    out.add(ce, d, total, z);
    if (k + 1 < K) predict(k);  // network k changed: its peers learn from its new prediction
  }
  return out;
}

}  // namespace

StrategyEntry dml_strategy_entry() {
  return strategy_entry<DmlStrategy, DmlOptions>(
      "dml", "deep mutual learning: a cohort of students, each mimicking its peers", /*semi_supervised=*/true);
}

}  // namespace cohort::distill
