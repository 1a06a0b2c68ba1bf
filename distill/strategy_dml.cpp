// dml: Deep Mutual Learning (Zhang, Xiang, Hospedales, Lu; CVPR 2018).
#include "core/autograd.h"
#include "core/ops/elementwise.h"
#include "core/ops/losses.h"
#include "distill/bn_state.h"
#include "distill/strategies.h"
#include "distill/strategy_common.h"

namespace cohort::distill {

void DmlOptions::bind(OptionBinder& b) {
  b.add("temperature", temperature, Bound::positive);
  b.add("mimicry_weight", mimicry_weight);
  b.choice("peer_reduction", peer_reduction, {{"average", PeerReduction::average}, {"sum", PeerReduction::sum}});
  b.choice("teacher", teacher, {{"peers", DmlTeacher::peers}, {"ensemble", DmlTeacher::ensemble}});
  b.choice("update", update, {{"sync", DmlUpdate::sync}, {"sequential", DmlUpdate::sequential}});
}

void DmlOptions::validate(const RunConfig& cfg) const {
  if (cfg.networks.size() < 2)
    config_fail("strategy.name", "strategy 'dml' needs at least 2 networks, got {}", cfg.networks.size());
}

StrategyEntry dml_strategy_entry() {
  return strategy_entry<DmlStrategy, DmlOptions>("dml", "deep mutual learning: a cohort of students, each mimicking its peers",
                                                 /*semi_supervised=*/true);
}

DmlStrategy::DmlStrategy(const RunConfig& cfg, Roster roster)
    : cfg_(cfg), nets_(std::move(roster.students)), opts_(cfg.strategy.options<DmlOptions>()) {
  COHORT_CHECK(nets_.size() >= 2, "dml: needs at least 2 networks, got {}", nets_.size());
  if (opts_.teacher == DmlTeacher::ensemble) mimicry_.mode = DmlMode::ensemble;
  else if (opts_.peer_reduction == PeerReduction::sum) mimicry_.mode = DmlMode::sum;
  else mimicry_.mode = DmlMode::average;
}

std::vector<StageSpec> DmlStrategy::stages() const { return {main_stage(cfg_, "train")}; }

void DmlStrategy::begin_stage(size_t, const StageContext& ctx) {
  for (Network& n : nets_) start_training(n, cfg_, stages()[0], ctx);
}

StepLosses DmlStrategy::step(const data::Batch& batch) {
  int64_t labelled = batch.labels.size(0);
  Tensor labels = cfg_.data.labelled_fraction < 1.0
                      ? mask_unlabelled(batch, cfg_.seed, cfg_.data.labelled_fraction, &labelled)
                      : batch.labels;
  return opts_.update == DmlUpdate::sequential ? step_sequential(batch, labels, labelled > 0)
                                              : step_sync(batch, labels, labelled > 0);
}

StepLosses DmlStrategy::step_sync(const data::Batch& batch, const Tensor& labels, bool any_labelled) {
  std::vector<Tensor> logits;
  for (Network& n : nets_) {
    n.model->train();
    logits.push_back(n.model->forward(batch.images));
  }
  // One cohort launch: every student's mimicry term, each with its peers detached, so the sum of
  // all students' losses has exactly the per-student gradients of the paper.
  Tensor mimicry = ops::dml_mimicry(logits, opts_.temperature, mimicry_);
  StepLosses out;
  Tensor total_all;
  for (size_t k = 0; k < nets_.size(); ++k) {
    Tensor d = mimicry[static_cast<int64_t>(k)];
    Tensor total = ops::mul(d, opts_.mimicry_weight);
    Tensor ce;
    if (any_labelled) {
      ce = ops::cross_entropy(logits[k], labels);
      total = ops::add(total, ce);
      out.ce.push_back(ce.detach());
    } else {
      out.ce.emplace_back();
    }
    out.transfer.push_back(d.detach());
    out.total.push_back(total.detach());
    out.logits.push_back(logits[k].detach());
    total_all = total_all.defined() ? ops::add(total_all, total) : total;
  }
  for (Network& n : nets_) n.optimizer->zero_grad();
  total_all.backward();
  for (Network& n : nets_) n.optimizer->step();
  return out;
}

StepLosses DmlStrategy::step_sequential(const data::Batch& batch, const Tensor& labels,
                                        bool any_labelled) {
  const size_t K = nets_.size();
  // Each network's training pass, with its graph, before anyone steps: network k's weights do
  // not change until its own step, so this pass is both its prediction for networks 0..k-1 and
  // the logits it trains on (one forward, BN statistics updated once).
  std::vector<Tensor> logits(K), predictions(K);
  for (size_t l = 0; l < K; ++l) {
    nets_[l].model->train();
    logits[l] = nets_[l].model->forward(batch.images);
    predictions[l] = logits[l].detach();
  }
  // A re-prediction after network l stepped (Algorithm 1: later peers learn from its NEW output);
  // prediction-only passes restore the BN running statistics afterwards.
  auto predict = [&](size_t l) {
    BufferSnapshot snapshot(*nets_[l].model);
    NoGradGuard no_grad;
    nets_[l].model->train();
    predictions[l] = nets_[l].model->forward(batch.images).detach();
    snapshot.restore();
  };

  StepLosses out;
  for (size_t k = 0; k < K; ++k) {
    Network& net = nets_[k];
    const Tensor& z = logits[k];
    std::vector<Tensor> cohort = predictions;
    cohort[k] = z;
    Tensor d = ops::dml_mimicry(cohort, opts_.temperature, mimicry_)[static_cast<int64_t>(k)];
    Tensor total = ops::mul(d, opts_.mimicry_weight);
    if (any_labelled) {
      Tensor ce = ops::cross_entropy(z, labels);
      total = ops::add(total, ce);
      out.ce.push_back(ce.detach());
    } else {
      out.ce.emplace_back();
    }
    minimise(net, total);
    out.transfer.push_back(d.detach());
    out.total.push_back(total.detach());
    out.logits.push_back(z.detach());
    if (k + 1 < K) predict(k);  // network k changed: its peers learn from its new prediction
  }
  return out;
}

std::vector<Network*> DmlStrategy::trained() {
  std::vector<Network*> v;
  for (Network& n : nets_) v.push_back(&n);
  return v;
}

std::vector<Network*> DmlStrategy::evaluated() { return trained(); }

std::vector<std::pair<std::string, NamedTensors>> DmlStrategy::checkpointed() {
  std::vector<std::pair<std::string, NamedTensors>> parts;
  for (Network& n : nets_) parts.emplace_back(n.name, n.model->state_dict());
  return parts;
}

}  // namespace cohort::distill
