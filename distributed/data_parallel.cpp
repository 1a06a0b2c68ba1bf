#include "distributed/data_parallel.h"

#include "core/ops/elementwise.h"
#include "distributed/exchange.h"
#include "distributed/network_sync.h"

namespace cohort::dist {

std::pair<int64_t, int64_t> rank_rows(int64_t rows, int rank, int ranks) {
  if (rows < ranks) return {0, rows};
  const int64_t base = rows / ranks, extra = rows % ranks;
  const int64_t begin = rank * base + std::min<int64_t>(rank, extra);
  return {begin, begin + base + (rank < extra ? 1 : 0)};
}

data::Batch slice_batch(const data::Batch& batch, int64_t begin, int64_t end) {
  data::Batch out;
  out.index = batch.index;
  out.images = batch.images.slice(begin, end);
  out.labels = batch.labels.slice(begin, end);
  if (batch.person_ids.defined()) out.person_ids = batch.person_ids.slice(begin, end);
  if (batch.camera_ids.defined()) out.camera_ids = batch.camera_ids.slice(begin, end);
  if (batch.host_images.defined()) out.host_images = batch.host_images.slice(begin, end);
  if (batch.host_labels.defined()) out.host_labels = batch.host_labels.slice(begin, end);
  out.indices.assign(batch.indices.begin() + begin, batch.indices.begin() + end);
  return out;
}

DataParallelStrategy::DataParallelStrategy(const distill::RunConfig& cfg, std::unique_ptr<distill::Strategy> inner,
                                           std::shared_ptr<Communicator> comm, size_t bucket_bytes)
    : Strategy(cfg, distill::Roster{}), inner_(std::move(inner)), comm_(std::move(comm)), averager_(comm_, bucket_bytes) {}

void DataParallelStrategy::begin_stage(size_t index, const distill::StageContext& ctx) {
  inner_->begin_stage(index, ctx);
  for (distill::Network* n : inner_->trained()) {
    // The same initial weights everywhere (they are built from the seed; this makes sure).
    broadcast_network(*comm_, *n, 0);
    n->optimizer->set_before_step([this](optim::Optimizer& opt) {
      averager_.reduce(opt.all_params(), weight_);
      gradient_bytes_ += averager_.last_bytes();
    });
  }
}

Tensor DataParallelStrategy::gather_rows(const Tensor& local, int64_t rows) {
  if (rows < comm_->size()) return local;  // every rank took the whole batch
  const int64_t row_numel = local.numel() / std::max<int64_t>(local.size(0), 1);
  std::vector<int64_t> counts;
  for (int r = 0; r < comm_->size(); ++r) {
    auto [b, e] = rank_rows(rows, r, comm_->size());
    counts.push_back((e - b) * row_numel);
  }
  Shape shape = local.shape();
  shape[0] = rows;
  const Device via = comm_->backend() == "nccl" ? local.device() : Device::cpu();
  Tensor send = local.device() == via ? local : local.to(via);
  Tensor all = Tensor::empty(shape, local.dtype(), via);
  comm_->all_gather(send, all, counts);
  return via == local.device() ? all : all.to(local.device());
}

distill::StepLosses DataParallelStrategy::step(const data::Batch& batch) {
  for (distill::Network* n : inner_->trained()) broadcast_buffers(*comm_, *n, 0);
  const int64_t rows = batch.images.size(0);
  auto [begin, end] = rank_rows(rows, comm_->rank(), comm_->size());
  weight_ = rows < comm_->size() ? 1.0 / comm_->size() : static_cast<double>(end - begin) / static_cast<double>(rows);
  gradient_bytes_ = 0;
  distill::StepLosses local = inner_->step(slice_batch(batch, begin, end));

  // The global batch's mean losses: Σ_r w_r · (rank r's mean), one all-reduce for all of them.
  std::vector<Tensor*> parts;
  for (auto* list : {&local.ce, &local.transfer, &local.total})
    for (Tensor& t : *list)
      if (t.defined()) parts.push_back(&t);
  if (!parts.empty()) {
    const Tensor& any = *parts.front();
    Tensor packed = Tensor::empty({static_cast<int64_t>(parts.size())}, any.dtype(), any.device());
    for (size_t i = 0; i < parts.size(); ++i) packed[static_cast<int64_t>(i)].copy_(*parts[i]);
    Tensor weighted = ops::mul(packed, weight_);
    all_reduce_tensor(*comm_, weighted);
    for (size_t i = 0; i < parts.size(); ++i) *parts[i] = weighted[static_cast<int64_t>(i)];
  }
  for (Tensor& z : local.logits)
    if (z.defined()) z = gather_rows(z, rows);
  return local;
}

std::vector<Tensor> DataParallelStrategy::predict(const Tensor& images) {
  const int64_t rows = images.size(0);
  auto [begin, end] = rank_rows(rows, comm_->rank(), comm_->size());
  std::vector<Tensor> logits = inner_->predict(images.slice(begin, end));
  for (Tensor& z : logits) z = gather_rows(z, rows);
  return logits;
}

void DataParallelStrategy::synchronise() {
  for (distill::Network* n : inner_->trained()) broadcast_network(*comm_, *n, 0);
}

}  // namespace cohort::dist
