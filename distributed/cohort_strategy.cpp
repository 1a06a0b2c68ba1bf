#include "distributed/cohort_strategy.h"

#include <algorithm>
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
  placement_ = place_networks(static_cast<int>(nets_.size()), comm_->size(), cfg_.distributed.placement,
                              cfg_.distributed.data_parallel == distill::DataParallel::per_network);
  if (placement_.split_batches()) {
    // Each rank trains one network here: its group gets a communicator of its own (collective).
    const int k = placement_.owned[static_cast<size_t>(comm_->rank())].front();
    group_comm_ = comm_->split(k, comm_->rank());
    averager_.emplace(group_comm_, static_cast<size_t>(cfg_.distributed.bucket_mb * 1024 * 1024));
  }
  // One stage training every network on every rank's optimisers: the replicas get optimisers
  // too, which a synchronise() fills for the checkpoint.
  add_stage({.spec = distill::main_stage(cfg_, "train"),
             .step = [this](const data::Batch& b) { return step_cohort(b); }});
}

void CohortStrategy::begin_stage(size_t index, const distill::StageContext& ctx) {
  Strategy::begin_stage(index, ctx);
  if (!group_comm_) return;
  for (size_t k = 0; k < nets_.size(); ++k)
    if (mine(k))
      nets_[k].optimizer->set_before_step(
          [this](optim::Optimizer& opt) { averager_->reduce(opt.all_params(), weight_); });
}

bool CohortStrategy::mine(size_t k) const {
  const auto& g = placement_.group[k];
  return std::find(g.begin(), g.end(), comm_->rank()) != g.end();
}

CohortStrategy::Rows CohortStrategy::rows_of(size_t k, int rank, int64_t rows) const {
  const auto& g = placement_.group[k];
  if (g.size() == 1) return {0, rows, 1.0};
  const int index = static_cast<int>(std::find(g.begin(), g.end(), rank) - g.begin());
  const int size = static_cast<int>(g.size());
  auto [begin, end] = rank_rows(rows, index, size);
  // Fewer rows than ranks: every rank of the group takes them all (rank_rows) and counts 1/size.
  const double weight = rows < size ? 1.0 / size : static_cast<double>(end - begin) / static_cast<double>(rows);
  return {begin, end, weight};
}

CohortStrategy::Rows CohortStrategy::my_rows(int64_t rows) const {
  // A rank trains several networks only when each has the whole batch, so any one tells.
  return rows_of(static_cast<size_t>(placement_.owned[static_cast<size_t>(comm_->rank())].front()), comm_->rank(),
                 rows);
}

std::vector<std::vector<Tensor>> CohortStrategy::exchange(const std::vector<Tensor>& mine,
                                                          const std::vector<size_t>& which,
                                                          const std::function<int64_t(int, size_t)>& numel,
                                                          DType dtype, Device device) {
  const int P = comm_->size();
  // What each rank sends: its pieces of the networks in `which`, ascending.
  std::vector<int64_t> counts(static_cast<size_t>(P), 0);
  std::vector<std::vector<std::pair<size_t, int64_t>>> layout(static_cast<size_t>(P));  // (k, offset) per rank
  std::vector<int64_t> displ(static_cast<size_t>(P), 0);
  int64_t total = 0;
  for (int r = 0; r < P; ++r) {
    displ[static_cast<size_t>(r)] = total;
    for (int k : placement_.owned[static_cast<size_t>(r)]) {
      if (std::find(which.begin(), which.end(), static_cast<size_t>(k)) == which.end()) continue;
      layout[static_cast<size_t>(r)].push_back({static_cast<size_t>(k), counts[static_cast<size_t>(r)]});
      counts[static_cast<size_t>(r)] += numel(r, static_cast<size_t>(k));
    }
    total += counts[static_cast<size_t>(r)];
  }
  const auto& my_layout = layout[static_cast<size_t>(comm_->rank())];
  COHORT_CHECK(mine.size() == my_layout.size(), "cohort exchange: rank {} passes {} pieces, expected {}",
               comm_->rank(), mine.size(), my_layout.size());
  Tensor local = Tensor::empty({counts[static_cast<size_t>(comm_->rank())]}, dtype, device);
  for (size_t i = 0; i < mine.size(); ++i) {
    const int64_t n = numel(comm_->rank(), my_layout[i].first);
    COHORT_CHECK(mine[i].numel() == n && mine[i].dtype() == dtype, "cohort exchange: piece {} is {}, expected {} "
                 "elements", i, mine[i].str(), n);
    local.slice(my_layout[i].second, my_layout[i].second + n).copy_(mine[i].reshape({n}));
  }
  Tensor all = all_gather_flat(*comm_, local, counts, device);
  std::vector<std::vector<Tensor>> out(nets_.size());
  for (size_t k : which)
    for (int r : placement_.group[k])
      for (const auto& [net, offset] : layout[static_cast<size_t>(r)])
        if (net == k) {
          const int64_t begin = displ[static_cast<size_t>(r)] + offset;
          out[k].push_back(all.slice(begin, begin + numel(r, k)));
        }
  return out;
}

std::vector<Tensor> CohortStrategy::gather_rows(const std::vector<Tensor>& local, const std::vector<size_t>& which,
                                                int64_t rows, const Shape& row_shape, DType dtype, Device device) {
  const int64_t row_numel = shape_numel(row_shape);
  std::vector<Tensor> mine;
  for (int k : placement_.owned[static_cast<size_t>(comm_->rank())])
    if (std::find(which.begin(), which.end(), static_cast<size_t>(k)) != which.end())
      mine.push_back(local[static_cast<size_t>(k)].detach());
  auto numel = [&](int r, size_t k) {
    const Rows rs = rows_of(k, r, rows);
    return (rs.end - rs.begin) * row_numel;
  };
  std::vector<std::vector<Tensor>> pieces = exchange(mine, which, numel, dtype, device);
  Shape full_shape{rows};
  full_shape.insert(full_shape.end(), row_shape.begin(), row_shape.end());
  std::vector<Tensor> out(nets_.size());
  for (size_t k : which) {
    const std::vector<Tensor>& p = pieces[k];
    // One piece holds every row (one rank, or a group whose ranks all took the whole batch).
    if (p.size() == 1 || p.front().numel() == rows * row_numel) {
      out[k] = p.front().reshape(full_shape);
      continue;
    }
    Tensor full = Tensor::empty({rows * row_numel}, dtype, device);
    int64_t at = 0;
    for (const Tensor& piece : p) {
      full.slice(at, at + piece.numel()).copy_(piece);
      at += piece.numel();
    }
    out[k] = full.reshape(full_shape);
  }
  return out;
}

std::vector<Tensor> CohortStrategy::gather_logits(const std::vector<Tensor>& local, int64_t rows) {
  const Tensor* any = nullptr;
  for (const Tensor& z : local)
    if (z.defined()) any = &z;
  COHORT_CHECK(any, "cohort: rank {} has no logits to exchange", comm_->rank());
  std::vector<size_t> every(nets_.size());
  for (size_t k = 0; k < every.size(); ++k) every[k] = k;
  Shape row_shape(any->shape().begin() + 1, any->shape().end());
  return gather_rows(local, every, rows, row_shape, any->dtype(), any->device());
}

StepLosses CohortStrategy::step_cohort(const data::Batch& batch) {
  const int64_t rows = batch.images.size(0);
  weight_ = my_rows(rows).weight;
  if (group_comm_)  // BatchNorm's running statistics follow the group's first rank (as DDP's buffers)
    for (size_t k = 0; k < nets_.size(); ++k)
      if (mine(k)) broadcast_buffers(*group_comm_, nets_[k], 0);
  if (cfg_.strategy.name == "independent") return step_independent(batch);
  int64_t labelled = batch.labels.size(0);
  Tensor labels = cfg_.data.labelled_fraction < 1.0
                      ? distill::mask_unlabelled(batch, cfg_.seed, cfg_.data.labelled_fraction, &labelled)
                      : batch.labels;
  return mutual_.sequential ? step_mutual_sequential(batch, labels, labelled > 0)
                            : step_mutual_sync(batch, labels, labelled > 0);
}

namespace {

// Rows [r.begin, r.end) of t, or t itself when they are all of it.
template <typename R>
Tensor rows_of_tensor(const Tensor& t, const R& r) {
  return r.whole(t.size(0)) ? t : t.slice(r.begin, r.end);
}

}  // namespace

StepLosses CohortStrategy::step_mutual_sync(const data::Batch& batch, const Tensor& labels, bool any_labelled) {
  const int64_t rows = batch.images.size(0);
  const Rows my = my_rows(rows);
  const Tensor images = rows_of_tensor(batch.images, my), my_labels = rows_of_tensor(labels, my);
  std::vector<Tensor> logits(nets_.size());
  for (size_t k = 0; k < nets_.size(); ++k) {
    if (!mine(k)) continue;
    nets_[k].model->train();
    logits[k] = nets_[k].model->forward(images);
  }
  const std::vector<Tensor> gathered = gather_logits(logits, rows);
  // This rank's networks live, the peers' same rows as constants.
  std::vector<Tensor> cohort(nets_.size());
  for (size_t k = 0; k < nets_.size(); ++k) cohort[k] = mine(k) ? logits[k] : rows_of_tensor(gathered[k], my);
  Tensor mimicry = ops::dml_mimicry(cohort, mutual_.temperature, mutual_.op);
  std::vector<std::array<Tensor, 3>> parts;
  Tensor total_all;
  for (size_t k = 0; k < nets_.size(); ++k) {
    if (!mine(k)) continue;
    Tensor d = mimicry[static_cast<int64_t>(k)];
    Tensor total = ops::mul(d, mutual_.weight);
    Tensor ce;
    if (any_labelled) {
      ce = ops::cross_entropy(logits[k], my_labels);
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
  for (const Tensor& z : gathered) detached.push_back(z.detach());
  return gather_losses(std::move(parts), std::move(detached), any_labelled, true);
}

StepLosses CohortStrategy::step_mutual_sequential(const data::Batch& batch, const Tensor& labels,
                                                  bool any_labelled) {
  const size_t K = nets_.size();
  const int64_t rows = batch.images.size(0);
  const Rows my = my_rows(rows);
  const Tensor images = rows_of_tensor(batch.images, my), my_labels = rows_of_tensor(labels, my);
  std::vector<Tensor> logits(K);
  for (size_t k = 0; k < K; ++k) {
    if (!mine(k)) continue;
    nets_[k].model->train();
    logits[k] = nets_[k].model->forward(images);
  }
  std::vector<Tensor> predictions = gather_logits(logits, rows);
  for (Tensor& p : predictions) p = p.detach();
  const std::vector<Tensor> first = predictions;  // each network's training-pass logits, for accuracy

  std::vector<std::array<Tensor, 3>> parts;
  for (size_t k = 0; k < K; ++k) {
    if (mine(k)) {
      std::vector<Tensor> cohort(K);
      for (size_t l = 0; l < K; ++l) cohort[l] = rows_of_tensor(predictions[l], my);
      cohort[k] = logits[k];
      Tensor d = ops::dml_mimicry(cohort, mutual_.temperature, mutual_.op)[static_cast<int64_t>(k)];
      Tensor total = ops::mul(d, mutual_.weight);
      Tensor ce;
      if (any_labelled) {
        ce = ops::cross_entropy(logits[k], my_labels);
        total = ops::add(total, ce);
      }
      distill::minimise(nets_[k], total);
      parts.push_back({ce.defined() ? ce.detach() : Tensor(), d.detach(), total.detach()});
    }
    if (k + 1 == K) break;
    // Network k changed: the later networks learn from its NEW prediction (Algorithm 1), predicted
    // by its ranks on their rows; exchanged only when a later network is trained elsewhere.
    Tensor fresh;
    if (mine(k)) {
      distill::BufferSnapshot snapshot(*nets_[k].model);  // a prediction-only pass keeps the BN statistics
      NoGradGuard no_grad;
      nets_[k].model->train();
      fresh = nets_[k].model->forward(images).detach();
      snapshot.restore();
    }
    bool needed = false;
    for (size_t l = k + 1; l < K; ++l) needed |= placement_.group[l] != placement_.group[k];
    if (!needed) {
      if (mine(k)) predictions[k] = fresh;
      continue;
    }
    std::vector<Tensor> local(K);
    local[k] = fresh;
    const Tensor& any = predictions[k];
    Shape row_shape(any.shape().begin() + 1, any.shape().end());
    predictions[k] = gather_rows(local, {k}, rows, row_shape, any.dtype(), any.device())[k];
  }
  return gather_losses(std::move(parts), first, any_labelled, true);
}

StepLosses CohortStrategy::step_independent(const data::Batch& batch) {
  const int64_t rows = batch.images.size(0);
  const Rows my = my_rows(rows);
  const Tensor images = rows_of_tensor(batch.images, my), labels = rows_of_tensor(batch.labels, my);
  std::vector<Tensor> logits(nets_.size());
  std::vector<std::array<Tensor, 3>> parts;
  for (size_t k = 0; k < nets_.size(); ++k) {
    if (!mine(k)) continue;
    nets_[k].model->train();
    Tensor z = nets_[k].model->forward(images);
    Tensor ce = ops::cross_entropy(z, labels);
    distill::minimise(nets_[k], ce);
    logits[k] = z.detach();
    parts.push_back({ce.detach(), Tensor(), ce.detach()});
  }
  // Every network's logits too, for the running train accuracy of the progress lines.
  return gather_losses(std::move(parts), gather_logits(logits, rows), true, false);
}

StepLosses CohortStrategy::gather_losses(std::vector<std::array<Tensor, 3>> parts, std::vector<Tensor> logits,
                                         bool has_ce, bool has_transfer) {
  const Tensor& any_total = parts.front()[2];
  std::vector<Tensor> own;
  for (auto& p : parts) {
    Tensor row = Tensor::zeros({3}, any_total.dtype(), any_total.device());
    for (int64_t j = 0; j < 3; ++j)
      if (p[static_cast<size_t>(j)].defined()) row[j].copy_(p[static_cast<size_t>(j)]);
    // A group's ranks each hold their rows' mean: weighted, their sum is the batch's mean.
    own.push_back(group_comm_ ? ops::mul(row, weight_) : row);
  }
  std::vector<size_t> every(nets_.size());
  for (size_t k = 0; k < every.size(); ++k) every[k] = k;
  std::vector<std::vector<Tensor>> all =
      exchange(own, every, [](int, size_t) { return int64_t{3}; }, any_total.dtype(), any_total.device());
  StepLosses out;
  for (size_t k = 0; k < nets_.size(); ++k) {
    Tensor row = all[k].front();
    for (size_t i = 1; i < all[k].size(); ++i) row = ops::add(row, all[k][i]);
    out.ce.push_back(has_ce ? row[0] : Tensor());
    out.transfer.push_back(has_transfer ? row[1] : Tensor());
    out.total.push_back(row[2]);
    out.logits.push_back(logits[k]);
  }
  return out;
}

std::vector<Tensor> CohortStrategy::predict(const Tensor& images) {
  const int64_t rows = images.size(0);
  const Tensor my_images = rows_of_tensor(images, my_rows(rows));
  std::vector<Tensor> logits(nets_.size());
  for (size_t k = 0; k < nets_.size(); ++k) {
    if (!mine(k)) continue;
    nets_[k].model->eval();
    logits[k] = nets_[k].model->forward(my_images);
  }
  return gather_logits(logits, rows);
}

void CohortStrategy::synchronise() {
  for (size_t k = 0; k < nets_.size(); ++k) broadcast_network(*comm_, nets_[k], placement_.root(k));
}

void check_distributable(const distill::RunConfig& cfg, int ranks) {
  const std::string& name = cfg.strategy.name;
  const distill::DataParallel dp = cfg.distributed.data_parallel;
  const bool groups = dp == distill::DataParallel::per_network;
  // A rank's share of a semi-supervised batch may hold no labelled row: its mean CE would not be
  // its share of the global mean.
  const bool splits_batches = dp == distill::DataParallel::all || (groups && ranks > static_cast<int>(cfg.networks.size()));
  if (splits_batches && cfg.data.labelled_fraction < 1.0)
    throw ConsistentError("distributed: data parallelism needs data.labelled_fraction = 1 (a rank's rows may "
                          "hold no labelled sample)");
  if (dp == distill::DataParallel::all) return;
  if (name != "dml" && name != "independent")
    throw ConsistentError(fmt::format(
        "distributed: strategy '{}' has no cohort placement over {} ranks (dml and independent have); set "
        "distributed.data_parallel: true to split its batches over the ranks instead", name, ranks));
  place_networks(static_cast<int>(cfg.networks.size()), ranks, cfg.distributed.placement, groups);
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
    if (cfg.distributed.data_parallel != distill::DataParallel::all)
      return make_distributed_strategy(cfg, num_classes, in_channels, device, comm);
    check_distributable(cfg, comm->size());
    return std::make_unique<DataParallelStrategy>(cfg, distill::make_strategy(cfg, num_classes, in_channels, device), comm,
                                                  static_cast<size_t>(cfg.distributed.bucket_mb * 1024 * 1024));
  };
}

}  // namespace cohort::dist
