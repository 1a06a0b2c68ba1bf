// Data parallelism (distributed.data_parallel: true): every rank holds every network of any
// strategy, takes its own rows of each global batch, and the gradients are averaged over ranks
// before every optimiser step (distributed/grad_average.h, bucketed; not overlapped with the
// backward pass). As in PyTorch's DistributedDataParallel (broadcast_buffers=True), BatchNorm
// normalises with each rank's own rows' statistics, and the running statistics of rank 0 are
// broadcast to every rank before each step, so evaluation and checkpoints use rank 0's.
// With BatchNorm a run therefore differs from one process on the same global batch (each rank's
// statistics cover fewer rows); without it, only by the order of the sums (docs/distributed.md).
#pragma once

#include <memory>

#include "distill/strategy.h"
#include "distributed/communicator.h"
#include "distributed/grad_average.h"

namespace cohort::dist {

// Rows [begin, end) of a batch of `rows` for `rank` of `ranks`: contiguous, sizes differing by at
// most one. A batch with fewer rows than ranks is taken whole by every rank.
std::pair<int64_t, int64_t> rank_rows(int64_t rows, int rank, int ranks);
data::Batch slice_batch(const data::Batch& batch, int64_t begin, int64_t end);

class DataParallelStrategy : public distill::Strategy {
 public:
  // A decorator: `inner` (built from `cfg`) keeps the networks and the stage table.
  DataParallelStrategy(const distill::RunConfig& cfg, std::unique_ptr<distill::Strategy> inner,
                       std::shared_ptr<Communicator> comm, size_t bucket_bytes);
  std::vector<distill::StageSpec> stages() const override { return inner_->stages(); }
  void begin_stage(size_t index, const distill::StageContext& ctx) override;
  distill::StepLosses step(const data::Batch& batch) override;
  std::vector<distill::Network*> trained() override { return inner_->trained(); }
  std::vector<distill::Network*> evaluated() override { return inner_->evaluated(); }
  std::vector<std::pair<std::string, NamedTensors>> checkpointed() override { return inner_->checkpointed(); }
  nlohmann::json state() const override { return inner_->state(); }
  void load_state(const nlohmann::json& s) override { inner_->load_state(s); }
  std::vector<Tensor> predict(const Tensor& images) override;
  void synchronise() override;

  // Bytes all-reduced for gradients in the last step (every network).
  size_t last_gradient_bytes() const { return gradient_bytes_; }

 private:
  // Every rank's rows of `local` [n_r, ...] back into one [rows, ...] tensor, in rank order.
  Tensor gather_rows(const Tensor& local, int64_t rows);
  std::unique_ptr<distill::Strategy> inner_;
  std::shared_ptr<Communicator> comm_;
  GradientAverager averager_;
  double weight_ = 1.0;  // this rank's share of the current batch
  size_t gradient_bytes_ = 0;
};

}  // namespace cohort::dist
