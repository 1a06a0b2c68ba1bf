// fsp: Yim, Joo, Bae, Kim, "A gift from knowledge distillation: fast optimization, network
// minimization and transfer learning" (CVPR 2017).
#include <algorithm>
#include <numeric>

#include "core/autograd.h"
#include "core/ops/elementwise.h"
#include "core/ops/linalg.h"
#include "core/ops/losses.h"
#include "core/ops/nn.h"
#include "core/ops/shape.h"
#include "distill/strategies.h"
#include "distill/strategy_common.h"

namespace cohort::distill {

namespace {

// Pools `x` [B,C,H,W] down to `side`×`side` (H, W multiples of side), max or average.
Tensor resize_to(const Tensor& x, int64_t side, bool max_pool) {
  if (x.size(2) == side && x.size(3) == side) return x;
  const int64_t k = x.size(2) / side;
  COHORT_CHECK(k * side == x.size(2) && x.size(3) == x.size(2),
               "fsp: cannot pool a {} feature map to {}x{}", shape_str(x.shape()), side, side);
  Pool2dParams p{.kernel_h = k, .kernel_w = k, .stride_h = k, .stride_w = k};
  return max_pool ? ops::max_pool2d(x, p) : ops::avg_pool2d(x, p);
}

// A permutation matrix [n, n] with P[i, perm[i]] = 1: (P·G)[i] = G[perm[i]].
Tensor permutation_matrix(const std::vector<int64_t>& perm, Device device) {
  const int64_t n = static_cast<int64_t>(perm.size());
  std::vector<float> m(static_cast<size_t>(n * n), 0.0f);
  for (int64_t i = 0; i < n; ++i) m[static_cast<size_t>(i * n + perm[static_cast<size_t>(i)])] = 1.0f;
  return Tensor::from_vector(m, {n, n}, device);
}

std::vector<int64_t> random_permutation(int64_t n, Generator& gen) {
  std::vector<int64_t> p(static_cast<size_t>(n));
  std::iota(p.begin(), p.end(), 0);
  for (int64_t i = n - 1; i > 0; --i)
    std::swap(p[static_cast<size_t>(i)], p[static_cast<size_t>(gen.randint(static_cast<uint64_t>(i + 1)))]);
  return p;
}

}  // namespace

void FspOptions::bind(OptionBinder& b) {
  teacher.bind(b);
  b.choice("fsp_pool", pool, {{"max", FspPool::max}, {"avg", FspPool::avg}});
  b.add("fsp_weight", fsp_weight);
  b.add("shuffle_fsp", shuffle);
  b.add("cache_teacher_fsp", cache_teacher);
  stage1.bind(b);
}

StrategyEntry fsp_strategy_entry() {
  return strategy_entry<FspStrategy, FspOptions>(
      "fsp", "FSP: students match a teacher's flow-of-solution matrices, then train with CE");
}

namespace {

KdOptions kd_part(const FspOptions& o) {
  KdOptions kd;
  kd.teacher = o.teacher;
  return kd;
}

}  // namespace

FspStrategy::FspStrategy(const RunConfig& cfg, Roster roster)
    : KdStrategy(cfg, std::move(roster), kd_part(cfg.strategy.options<FspOptions>())),
      opts_(cfg.strategy.options<FspOptions>()) {
  const FspOptions& s = opts_;
  COHORT_CHECK(!s.cache_teacher || !cfg.data.augment,
               "fsp: 'strategy.cache_teacher_fsp' needs 'data.augment: false' (a cached teacher "
               "matrix is only valid for the exact same input image)");
  COHORT_CHECK(s.stage1.length > 0, "fsp: 'strategy.stage1_length' must be > 0 (the FSP stage)");
  // Check the pairs once with a probe batch: same number of pairs and channel counts.
  NoGradGuard no_grad;
  nn::Model& t = *teacher_.model;
  Device device = t.parameters().front().device();
  Tensor probe = Tensor::zeros({2, t.in_channels(), t.input_size(), t.input_size()}, DType::f32, device);
  t.eval();
  std::vector<Tensor> gt = fsp_matrices(t, probe);
  COHORT_CHECK(!gt.empty(), "fsp: the teacher {} has no FSP pairs (Model::fsp_pairs); use a model "
               "with stage taps such as the CIFAR ResNets", t.name());
  Generator gen(cfg.seed + 777);
  for (Network& n : students_) {
    n.model->eval();
    std::vector<Tensor> gs = fsp_matrices(*n.model, probe);
    COHORT_CHECK(gs.size() == gt.size(), "fsp: student {} has {} FSP pairs, teacher {} has {}", n.name,
                 gs.size(), t.name(), gt.size());
    std::vector<std::pair<Tensor, Tensor>> perms;
    for (size_t p = 0; p < gs.size(); ++p) {
      COHORT_CHECK(gs[p].shape() == gt[p].shape(),
                   "fsp: pair {} has FSP matrix {} in student {} but {} in the teacher (channel counts "
                   "of the paired sections must match)", p, shape_str(gs[p].shape()), n.name,
                   shape_str(gt[p].shape()));
      if (s.shuffle)
        perms.emplace_back(permutation_matrix(random_permutation(gt[p].size(1), gen), device),
                           permutation_matrix(random_permutation(gt[p].size(2), gen), device));
    }
    shuffles_.push_back(std::move(perms));
  }
}

std::vector<Tensor> FspStrategy::fsp_matrices(nn::Model& model, const Tensor& images) const {
  nn::ModelOutput out = model.forward_features(images);
  const bool max_pool = opts_.pool == FspPool::max;
  std::vector<Tensor> gs;
  for (auto [i, j] : model.fsp_pairs()) {
    Tensor a = out.features.at(i), b = out.features.at(j);
    const int64_t side = std::min(a.size(2), b.size(2));
    gs.push_back(ops::fsp_matrix(resize_to(a, side, max_pool), resize_to(b, side, max_pool)));
  }
  return gs;
}

std::vector<StageSpec> FspStrategy::stages() const {
  std::vector<StageSpec> s;
  if (train_teacher_) s.push_back({"teacher", opts_.teacher.epochs, false});
  s.push_back(schedule_unit_stage(cfg_, "fsp", opts_.stage1.length));
  s.push_back(main_stage(cfg_, "train"));
  return s;
}

std::string FspStrategy::stage_name() const { return stages()[stage_].name; }

void FspStrategy::begin_stage(size_t index, const StageContext& ctx) {
  stage_ = index;
  StageSpec spec = stages()[index];
  if (teacher_stage()) {
    start_training(teacher_, cfg_, spec, ctx);
    return;
  }
  stop_training(teacher_);
  for (Network& n : students_)
    start_training(n, cfg_, spec, ctx, spec.name == "fsp" ? opts_.stage1.lr : 0.0);
}

std::vector<Tensor> FspStrategy::teacher_matrices(const data::Batch& batch) {
  NoGradGuard no_grad;
  teacher_.model->eval();
  if (!opts_.cache_teacher) return fsp_matrices(*teacher_.model, batch.images);
  // Per-sample cache: compute the matrices of the samples not seen yet, then stack.
  bool all_cached = true;
  for (int64_t i : batch.indices) all_cached &= cache_.count(i) > 0;
  if (!all_cached) {
    std::vector<Tensor> fresh = fsp_matrices(*teacher_.model, batch.images);
    for (size_t r = 0; r < batch.indices.size(); ++r) {
      std::vector<Tensor> per_sample;
      for (const Tensor& g : fresh) per_sample.push_back(g[static_cast<int64_t>(r)].clone());
      cache_[batch.indices[r]] = std::move(per_sample);
    }
    return fresh;
  }
  std::vector<Tensor> out;
  for (size_t p = 0; p < cache_.at(batch.indices[0]).size(); ++p) {
    std::vector<Tensor> rows;
    for (int64_t i : batch.indices) rows.push_back(cache_.at(i)[p]);
    out.push_back(ops::stack(rows));
  }
  return out;
}

StepLosses FspStrategy::step(const data::Batch& batch) {
  if (teacher_stage()) return step_teacher(batch);
  StepLosses out;
  if (stage_name() == "train") {
    for (Network& n : students_) {
      n.model->train();
      Tensor z = n.model->forward(batch.images);
      Tensor ce = ops::cross_entropy(z, batch.labels);
      minimise(n, ce);
      out.logits.push_back(z.detach());
      out.ce.push_back(ce.detach());
      out.transfer.emplace_back();
      out.total.push_back(ce.detach());
    }
    return out;
  }
  std::vector<Tensor> gt = teacher_matrices(batch);
  const int64_t b = batch.images.size(0);
  for (size_t k = 0; k < students_.size(); ++k) {
    Network& n = students_[k];
    n.model->train();
    std::vector<Tensor> gs = fsp_matrices(*n.model, batch.images);
    Tensor loss;
    for (size_t p = 0; p < gs.size(); ++p) {
      Tensor target = gt[p];
      if (!shuffles_[k].empty()) {
        // G' = P_m · G · P_nᵀ per sample: rows and columns permuted by this student's permutation.
        auto& [pm, pn] = shuffles_[k][p];
        target = ops::gemm(ops::matmul(ops::expand(pm, {b, pm.size(0), pm.size(1)}), target), false,
                           ops::expand(pn, {b, pn.size(0), pn.size(1)}), true);
      }
      Tensor l = ops::fsp_loss(gs[p], target, opts_.fsp_weight);
      loss = loss.defined() ? ops::add(loss, l) : l;
    }
    minimise(n, loss);
    out.ce.emplace_back();
    out.transfer.push_back(loss.detach());
    out.total.push_back(loss.detach());
  }
  return out;
}

}  // namespace cohort::distill
