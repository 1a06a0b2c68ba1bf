#include "distributed/cohort_strategy.h"

#include <array>
#include <map>

#include "core/autograd.h"
#include "core/ops/elementwise.h"
#include "core/ops/losses.h"
#include "distill/bn_state.h"
#include "distill/strategy_dml_options.h"
#include "distill/strategy_common.h"
#include "distill/strategy_registry.h"
#include "distributed/data_parallel.h"
#include "distributed/exchange.h"
#include "distributed/network_sync.h"

namespace cohort::dist {

using distill::Network;
using distill::StepLosses;

CohortStrategy::Mutual CohortStrategy::read_mutual(const distill::RunConfig& cfg) {
  Mutual m;
  if (cfg.strategy.name != "dml") return m;
  const auto& o = cfg.strategy.options<distill::DmlOptions>();
  m.temperature = o.temperature;
  m.weight = o.mimicry_weight;
  m.sequential = o.update == distill::DmlUpdate::sequential;
  m.op.mode = o.mode();
  return m;
}

CohortStrategy::CohortStrategy(const distill::RunConfig& cfg, distill::Roster roster,
                               std::shared_ptr<Communicator> comm)
    : Strategy(cfg, std::move(roster)), comm_(std::move(comm)), mutual_(read_mutual(cfg)) {
  placement_ = place_networks(static_cast<int>(nets_.size()), comm_->size(), cfg_.distributed.placement);
  // One stage training every network on every rank's optimisers: the replicas get optimisers
  // too, which a synchronise() fills for the checkpoint.
  add_stage({.spec = distill::main_stage(cfg_, "train"),
             .step = [this](const data::Batch& b) { return step_cohort(b); }});
}

std::vector<int> CohortStrategy::parts_per_rank() const {
  std::vector<int> n;
  for (const auto& owned : placement_.owned) n.push_back(static_cast<int>(owned.size()));
  return n;
}

std::vector<Tensor> CohortStrategy::gather_logits(const std::vector<Tensor>& logits) {
  std::vector<Tensor> own;
  for (int k : placement_.owned[static_cast<size_t>(comm_->rank())]) own.push_back(logits[static_cast<size_t>(k)].detach());
  const Tensor& any = own.front();
  std::vector<Tensor> parts = all_gather_parts(*comm_, own, any.shape(), any.dtype(), parts_per_rank(), any.device());
  std::vector<Tensor> all(nets_.size());
  for (size_t k = 0; k < nets_.size(); ++k)
    all[k] = mine(k) ? logits[k] : parts[static_cast<size_t>(placement_.gathered_index[k])];
  return all;
}

StepLosses CohortStrategy::step_cohort(const data::Batch& batch) {
  if (cfg_.strategy.name == "independent") return step_independent(batch);
  int64_t labelled = batch.labels.size(0);
  Tensor labels = cfg_.data.labelled_fraction < 1.0
                      ? distill::mask_unlabelled(batch, cfg_.seed, cfg_.data.labelled_fraction, &labelled)
                      : batch.labels;
  return mutual_.sequential ? step_mutual_sequential(batch, labels, labelled > 0)
                                              : step_mutual_sync(batch, labels, labelled > 0);
}

StepLosses CohortStrategy::step_mutual_sync(const data::Batch& batch, const Tensor& labels, bool any_labelled) {
  std::vector<Tensor> logits(nets_.size());
  for (size_t k = 0; k < nets_.size(); ++k) {
    if (!mine(k)) continue;
    nets_[k].model->train();
    logits[k] = nets_[k].model->forward(batch.images);
  }
  const std::vector<Tensor> cohort = gather_logits(logits);
  Tensor mimicry = ops::dml_mimicry(cohort, mutual_.temperature, mutual_.op);
  std::vector<std::array<Tensor, 3>> parts;
  Tensor total_all;
  for (size_t k = 0; k < nets_.size(); ++k) {
    if (!mine(k)) continue;
    Tensor d = mimicry[static_cast<int64_t>(k)];
    Tensor total = ops::mul(d, mutual_.weight);
    Tensor ce;
    if (any_labelled) {
      ce = ops::cross_entropy(logits[k], labels);
      total = ops::add(total, ce);
    }
    parts.push_back({ce.defined() ? ce.detach() : Tensor(), d.detach(), total.detach()});
    total_all = total_all.defined() ? ops::add(total_all, total) : total;
  }
  for (size_t k = 0; k < nets_.size(); ++k)
    if (mine(k)) nets_[k].optimizer->zero_grad();
  total_all.backward();
  for (size_t k = 0; k < nets_.size(); ++k)
    if (mine(k)) nets_[k].optimizer->step();
  std::vector<Tensor> detached;
  for (const Tensor& z : cohort) detached.push_back(z.detach());
  return gather_losses(std::move(parts), std::move(detached), any_labelled, true);
}

StepLosses CohortStrategy::step_mutual_sequential(const data::Batch& batch, const Tensor& labels,
                                                  bool any_labelled) {
  const size_t K = nets_.size();
  std::vector<Tensor> logits(K);
  for (size_t k = 0; k < K; ++k) {
    if (!mine(k)) continue;
    nets_[k].model->train();
    logits[k] = nets_[k].model->forward(batch.images);
  }
  std::vector<Tensor> predictions = gather_logits(logits);
  for (Tensor& p : predictions) p = p.detach();
  const std::vector<Tensor> first = predictions;  // each network's training-pass logits, for accuracy

  std::vector<std::array<Tensor, 3>> parts;
  for (size_t k = 0; k < K; ++k) {
    const int owner = placement_.owner[k];
    if (mine(k)) {
      std::vector<Tensor> cohort = predictions;
      cohort[k] = logits[k];
      Tensor d = ops::dml_mimicry(cohort, mutual_.temperature, mutual_.op)[static_cast<int64_t>(k)];
      Tensor total = ops::mul(d, mutual_.weight);
      Tensor ce;
      if (any_labelled) {
        ce = ops::cross_entropy(logits[k], labels);
        total = ops::add(total, ce);
      }
      distill::minimise(nets_[k], total);
      parts.push_back({ce.defined() ? ce.detach() : Tensor(), d.detach(), total.detach()});
    }
    // Network k changed: the later networks learn from its NEW prediction (Algorithm 1). Only
    // sent when one of them lives on another rank.
    bool needed = false;
    for (size_t l = k + 1; l < K; ++l) needed |= placement_.owner[l] != owner;
    if (!needed) {
      if (mine(k) && k + 1 < K) {
        distill::BufferSnapshot snapshot(*nets_[k].model);
        NoGradGuard no_grad;
        nets_[k].model->train();
        predictions[k] = nets_[k].model->forward(batch.images).detach();
        snapshot.restore();
      }
      continue;
    }
    Tensor p;
    if (mine(k)) {
      distill::BufferSnapshot snapshot(*nets_[k].model);  // a prediction-only pass keeps the BN statistics
      NoGradGuard no_grad;
      nets_[k].model->train();
      p = nets_[k].model->forward(batch.images).detach();
      snapshot.restore();
    } else {
      p = Tensor::empty(predictions[k].shape(), predictions[k].dtype(), predictions[k].device());
    }
    broadcast_tensor(*comm_, p, owner);
    predictions[k] = p;
  }
  return gather_losses(std::move(parts), first, any_labelled, true);
}

StepLosses CohortStrategy::step_independent(const data::Batch& batch) {
  std::vector<Tensor> logits(nets_.size());
  std::vector<std::array<Tensor, 3>> parts;
  for (size_t k = 0; k < nets_.size(); ++k) {
    if (!mine(k)) continue;
    nets_[k].model->train();
    Tensor z = nets_[k].model->forward(batch.images);
    Tensor ce = ops::cross_entropy(z, batch.labels);
    distill::minimise(nets_[k], ce);
    logits[k] = z.detach();
    parts.push_back({ce.detach(), Tensor(), ce.detach()});
  }
  // Every network's logits too, for the running train accuracy of the progress lines.
  return gather_losses(std::move(parts), gather_logits(logits), true, false);
}

StepLosses CohortStrategy::gather_losses(std::vector<std::array<Tensor, 3>> parts, std::vector<Tensor> logits,
                                         bool has_ce, bool has_transfer) {
  std::vector<Tensor> own;
  const Tensor& any_total = parts.front()[2];
  for (auto& p : parts) {
    Tensor row = Tensor::zeros({3}, any_total.dtype(), any_total.device());
    for (int64_t j = 0; j < 3; ++j)
      if (p[static_cast<size_t>(j)].defined()) row[j].copy_(p[static_cast<size_t>(j)]);
    own.push_back(row);
  }
  std::vector<Tensor> all = all_gather_parts(*comm_, own, {3}, any_total.dtype(), parts_per_rank(), any_total.device());
  StepLosses out;
  for (size_t k = 0; k < nets_.size(); ++k) {
    const Tensor& row = all[static_cast<size_t>(placement_.gathered_index[k])];
    out.ce.push_back(has_ce ? row[0] : Tensor());
    out.transfer.push_back(has_transfer ? row[1] : Tensor());
    out.total.push_back(row[2]);
    out.logits.push_back(logits[k]);
  }
  return out;
}

std::vector<Tensor> CohortStrategy::predict(const Tensor& images) {
  std::vector<Tensor> logits(nets_.size());
  for (size_t k = 0; k < nets_.size(); ++k) {
    if (!mine(k)) continue;
    nets_[k].model->eval();
    logits[k] = nets_[k].model->forward(images);
  }
  return gather_logits(logits);
}

void CohortStrategy::synchronise() {
  for (size_t k = 0; k < nets_.size(); ++k) broadcast_network(*comm_, nets_[k], placement_.owner[k]);
}

void check_distributable(const distill::RunConfig& cfg, int ranks) {
  const std::string& name = cfg.strategy.name;
  if (cfg.distributed.data_parallel) {
    // A rank's share of a semi-supervised batch may hold no labelled row: its mean CE would not
    // be its share of the global mean.
    if (cfg.data.labelled_fraction < 1.0)
      throw ConsistentError("distributed: data parallelism needs data.labelled_fraction = 1 (a rank's rows may "
                            "hold no labelled sample)");
    return;
  }
  if (name != "dml" && name != "independent")
    throw ConsistentError(fmt::format(
        "distributed: strategy '{}' has no cohort placement over {} ranks (dml and independent have); set "
        "distributed.data_parallel: true to split its batches over the ranks instead", name, ranks));
  place_networks(static_cast<int>(cfg.networks.size()), ranks, cfg.distributed.placement);
}

std::unique_ptr<distill::Strategy> make_distributed_strategy(const distill::RunConfig& cfg, int64_t num_classes,
                                                             int64_t in_channels, Device device,
                                                             std::shared_ptr<Communicator> comm) {
  check_distributable(cfg, comm->size());
  distill::Roster roster = distill::build_roster(cfg, {.num_classes = num_classes, .in_channels = in_channels,
                                                      .device = device});
  return std::make_unique<CohortStrategy>(cfg, std::move(roster), std::move(comm));
}

std::function<std::unique_ptr<distill::Strategy>(const distill::RunConfig&, int64_t, int64_t, Device)>
distributed_strategy_factory(std::shared_ptr<Communicator> comm) {
  return [comm](const distill::RunConfig& cfg, int64_t num_classes, int64_t in_channels,
                Device device) -> std::unique_ptr<distill::Strategy> {
    if (comm->size() == 1) return distill::make_strategy(cfg, num_classes, in_channels, device);
    if (!cfg.distributed.data_parallel)
      return make_distributed_strategy(cfg, num_classes, in_channels, device, comm);
    check_distributable(cfg, comm->size());
    return std::make_unique<DataParallelStrategy>(cfg, distill::make_strategy(cfg, num_classes, in_channels, device), comm,
                                                  static_cast<size_t>(cfg.distributed.bucket_mb * 1024 * 1024));
  };
}

}  // namespace cohort::dist
