// Cohort placement over ranks: the `dml` and `independent` strategies with each network trained
// by one rank (distributed/placement.h) — docs/distributed.md.
//
// Every rank builds every network (same seeds, so the same initial weights) but trains only its
// own; the others are replicas that only a synchronise() (before checkpoints and the final
// weights) brings up to date. Per step, on the batch every rank loads (same loader order):
//   sync:        each rank runs its networks forward; one all-gather of the logits [B, C] per
//                network; each rank computes its networks' mimicry terms with the fused cohort
//                op (ops::dml_mimicry) against the gathered peers (detached), backward, step.
//   sequential:  Algorithm 1 — the same forwards and all-gather, then for k = 1..K in order the
//                owner of k steps it against the current predictions, re-predicts it and
//                broadcasts the new prediction before network k+1's step.
//   independent: each rank steps its networks on cross-entropy; no logits are exchanged.
// Then one small all-gather of the step's losses (CE, transfer, total per network), so every
// rank logs, checks for NaN and stops the same way. The values are bit-identical to a
// single-process run with the same seed: the same ops on the same inputs in the same order.
#pragma once

#include <array>
#include <functional>
#include <memory>

#include "core/ops/losses.h"
#include "distill/strategy.h"
#include "distributed/communicator.h"
#include "distributed/placement.h"

namespace cohort::dist {

class CohortStrategy : public distill::Strategy {
 public:
  CohortStrategy(const distill::RunConfig& cfg, distill::Roster roster, std::shared_ptr<Communicator> comm);
  std::vector<Tensor> predict(const Tensor& images) override;
  void synchronise() override;

  const Placement& placement() const { return placement_; }

 private:
  // dml's knobs, read from the config's strategy.* keys (the dml strategy's options type is
  // private to distill/strategy_dml.cpp); defaults for independent, which reads none.
  struct Mutual {
    double temperature = 1.0;
    double weight = 1.0;
    bool sequential = false;
    ops::DmlOptions op;
  };
  static Mutual read_mutual(const distill::RunConfig& cfg);

  bool mine(size_t k) const { return placement_.owner[k] == comm_->rank(); }
  std::vector<int> parts_per_rank() const;
  // Every network's logits (this rank's live, the others gathered) in network order.
  std::vector<Tensor> gather_logits(const std::vector<Tensor>& logits);
  distill::StepLosses step_cohort(const data::Batch& batch);
  distill::StepLosses step_mutual_sync(const data::Batch& batch, const Tensor& labels, bool any_labelled);
  distill::StepLosses step_mutual_sequential(const data::Batch& batch, const Tensor& labels, bool any_labelled);
  distill::StepLosses step_independent(const data::Batch& batch);
  // Fills in the other ranks' losses: `parts` holds (ce, transfer, total) of this rank's networks.
  distill::StepLosses gather_losses(std::vector<std::array<Tensor, 3>> parts, std::vector<Tensor> logits,
                                    bool has_ce, bool has_transfer);

  std::vector<distill::Network>& nets_ = roster_.students;
  std::shared_ptr<Communicator> comm_;
  Mutual mutual_;
  Placement placement_;
};

// Whether `cfg` can run over `ranks` > 1 ranks: a ConsistentError (the same on every rank) for
// strategies without a distributed form and for fewer networks than ranks.
void check_distributable(const distill::RunConfig& cfg, int ranks);

// The strategy of a run over comm->size() ranks for TrainerOptions::make_strategy: cohort
// placement, or data parallelism (distributed/data_parallel.h) when cfg.distributed says so;
// the plain strategy for one rank.
std::function<std::unique_ptr<distill::Strategy>(const distill::RunConfig&, int64_t, int64_t, Device)>
distributed_strategy_factory(std::shared_ptr<Communicator> comm);

// The strategy of a run over comm->size() > 1 ranks; a ConsistentError for strategies without
// a distributed form and for impossible placements.
std::unique_ptr<distill::Strategy> make_distributed_strategy(const distill::RunConfig& cfg, int64_t num_classes,
                                                             int64_t in_channels, Device device,
                                                             std::shared_ptr<Communicator> comm);

}  // namespace cohort::dist
