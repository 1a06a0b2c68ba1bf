// Cohort placement over ranks: the `dml` and `independent` strategies with each network trained
// by one rank, or by its own group of ranks (distributed/placement.h) — docs/distributed.md.
//
// Every rank builds every network (same seeds, so the same initial weights) but trains only its
// own; the others are replicas that only a synchronise() (before checkpoints and the final
// weights) brings up to date. Per step, on the batch every rank loads (same loader order):
//   sync:        each rank runs its networks forward; one all-gather of the logits [B, C] per
//                network; each rank computes its networks' mimicry terms with the fused cohort
//                op (ops::dml_mimicry) against the gathered peers (detached), backward, step.
//   sequential:  Algorithm 1 — the same forwards and all-gather, then for k = 1..K in order the
//                ranks of network k step it against the current predictions, re-predict it and
//                send the new prediction to every rank before network k+1's step.
//   independent: each rank steps its networks on cross-entropy; the logits are gathered only for
//                the running train accuracy.
// Then one small all-gather of the step's losses (CE, transfer, total per network), so every
// rank logs, checks for NaN and stops the same way. With one rank per network the values are
// bit-identical to a single-process run with the same seed: the same ops on the same inputs in
// the same order.
//
// Groups (data_parallel: per_network, more ranks than networks): the ranks of a network split
// the batch's rows (dist::rank_rows); the gathered logits are every network's whole batch, and
// each rank's mimicry terms compare its rows with the peers' same rows. Before each optimiser
// step the gradients are averaged over the group (weighted by rows, bucketed all-reduce on a
// split communicator), and BatchNorm's running statistics follow the group's first rank, as in
// data parallelism (distributed/data_parallel.h).
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <optional>

#include "core/ops/losses.h"
#include "distill/strategy.h"
#include "distributed/communicator.h"
#include "distributed/grad_average.h"
#include "distributed/placement.h"

namespace cohort::dist {

class CohortStrategy : public distill::Strategy {
 public:
  CohortStrategy(const distill::RunConfig& cfg, distill::Roster roster, std::shared_ptr<Communicator> comm);
  void begin_stage(size_t index, const distill::StageContext& ctx) override;
  std::vector<Tensor> predict(const Tensor& images) override;
  void synchronise() override;

  const Placement& placement() const { return placement_; }

 private:
  struct Mutual {
    double temperature = 1.0;
    double weight = 1.0;
    bool sequential = false;
    ops::DmlOptions op;
  };
  static Mutual read_mutual(const distill::RunConfig& cfg);
  // This rank's rows of a batch: [begin, end) and their share of the batch's mean (the whole
  // batch and 1 unless this rank's network is split over a group).
  struct Rows {
    int64_t begin = 0, end = 0;
    double weight = 1.0;
    bool whole(int64_t rows) const { return begin == 0 && end == rows; }
  };

  bool mine(size_t k) const;
  Rows rows_of(size_t k, int rank, int64_t rows) const;
  Rows my_rows(int64_t rows) const;
  // The pieces every rank contributes for the networks in `which` (one per network it trains
  // there, `numel(rank, k)` elements, `mine` holding this rank's in ascending network order),
  // returned per network as its group's pieces, in group order (1-D views).
  std::vector<std::vector<Tensor>> exchange(const std::vector<Tensor>& mine, const std::vector<size_t>& which,
                                            const std::function<int64_t(int, size_t)>& numel, DType dtype,
                                            Device device);
  // Every network in `which` over the whole batch of `rows` rows: this rank's networks' rows are
  // `local[k]` ([my rows, ...], detached for the exchange); row_shape is a row's shape.
  std::vector<Tensor> gather_rows(const std::vector<Tensor>& local, const std::vector<size_t>& which, int64_t rows,
                                  const Shape& row_shape, DType dtype, Device device);
  std::vector<Tensor> gather_logits(const std::vector<Tensor>& local, int64_t rows);
  distill::StepLosses step_cohort(const data::Batch& batch);
  distill::StepLosses step_mutual_sync(const data::Batch& batch, const Tensor& labels, bool any_labelled);
  distill::StepLosses step_mutual_sequential(const data::Batch& batch, const Tensor& labels, bool any_labelled);
  distill::StepLosses step_independent(const data::Batch& batch);
  // Every network's (ce, transfer, total) from `parts` (this rank's networks, ascending), summed
  // over a network's group (each part weighted by its rows' share).
  distill::StepLosses gather_losses(std::vector<std::array<Tensor, 3>> parts, std::vector<Tensor> logits,
                                    bool has_ce, bool has_transfer);

  std::vector<distill::Network>& nets_ = roster_.students;
  std::shared_ptr<Communicator> comm_;
  Mutual mutual_;
  Placement placement_;
  // Groups only: this rank's group, its gradient exchange, and this step's rows weight.
  std::shared_ptr<Communicator> group_comm_;
  std::optional<GradientAverager> averager_;
  double weight_ = 1.0;
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
