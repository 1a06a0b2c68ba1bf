// fsp: Yim, Joo, Bae, Kim, "A gift from knowledge distillation: fast optimization, network
// minimization and transfer learning" (CVPR 2017). Stage "fsp": every student minimises
// Σ_pairs fsp_loss(G_s, G_t, λ) where each pair is (stage input, stage output) of a network
// section, resized to the smaller spatial size by max- (paper) or avg-pooling; teacher fixed.
// With shuffle_fsp, each student sees the teacher's matrices with rows/columns permuted by its
// own random channel permutation (decorrelates ensemble students). Stage "train": CE from the
// stage-1 weights. Without teacher weights, stage "teacher" comes first.
#include <algorithm>
#include <map>
#include <numeric>

#include "core/autograd.h"
#include "core/ops/elementwise.h"
#include "core/ops/linalg.h"
#include "core/ops/losses.h"
#include "core/ops/nn.h"
#include "core/ops/shape.h"
#include "distill/strategy_common.h"
#include "distill/strategy_registry.h"

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

enum class FspPool { max, avg };

struct FspOptions : OptionsOf<FspOptions> {
  TeacherOptions teacher;
  FspPool pool = FspPool::max;  // resizing of pairs with different sizes
  double fsp_weight = 1.0;      // λ per pair (equal λ)
  bool shuffle = false;
  bool cache_teacher = false;
  StageOneOptions stage1;
  void bind(OptionBinder& b) override {
    teacher.bind(b);
    b.choice("fsp_pool", pool, {{"max", FspPool::max}, {"avg", FspPool::avg}});
    b.add("fsp_weight", fsp_weight);
    b.add("shuffle_fsp", shuffle);
    b.add("cache_teacher_fsp", cache_teacher);
    stage1.bind(b);
  }
  void validate(const RunConfig&) const override { teacher.validate("fsp"); }
  const TeacherOptions* teacher_options() const override { return &teacher; }
};

class FspStrategy : public Strategy {
 public:
  FspStrategy(const RunConfig& cfg, Roster roster);

 private:
  // The FSP matrices [B,m,n] of a network's (stage input, stage output) taps.
  std::vector<Tensor> fsp_matrices(nn::Model& model, const Tensor& images) const;
  std::vector<Tensor> teacher_matrices(const data::Batch& batch);
  StepLosses fsp_step(const data::Batch& batch);

  FspOptions opts_;
  // Per student: permutation matrices ([m,m], [n,n]) of each pair when shuffling; drawn at
  // construction from the run's seed, so a resumed run rebuilds the same ones.
  std::vector<std::vector<std::pair<Tensor, Tensor>>> shuffles_;
  std::map<int64_t, std::vector<Tensor>> cache_;  // dataset index -> teacher matrices [m,n]
};

FspStrategy::FspStrategy(const RunConfig& cfg, Roster roster)
    : Strategy(cfg, std::move(roster)), opts_(cfg.strategy.options<FspOptions>()) {
  const FspOptions& s = opts_;
  COHORT_CHECK(!s.cache_teacher || !cfg.data.augment,
               "fsp: 'strategy.cache_teacher_fsp' needs 'data.augment: false' (a cached teacher "
               "matrix is only valid for the exact same input image)");
  COHORT_CHECK(s.stage1.length > 0, "fsp: 'strategy.stage1_length' must be > 0 (the FSP stage)");
  // Check the pairs once with a probe batch: same number of pairs and channel counts.
  NoGradGuard no_grad;
  nn::Model& t = *teacher().model;
  Device device = t.parameters().front().device();
  Tensor probe = Tensor::zeros({2, t.in_channels(), t.input_size(), t.input_size()}, DType::f32, device);
  t.eval();
  std::vector<Tensor> gt = fsp_matrices(t, probe);
  COHORT_CHECK(!gt.empty(), "fsp: the teacher {} has no FSP pairs (Model::fsp_pairs); use a model "
               "with stage taps such as the CIFAR ResNets", t.name());
  Generator gen(cfg.seed + 777);
  for (Network& n : roster_.students) {
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
  add_teacher_stage(opts_.teacher);
  add_stage({.spec = schedule_unit_stage(cfg_, "fsp", opts_.stage1.length),
             .step = [this](const data::Batch& b) { return fsp_step(b); },
             .lr = opts_.stage1.lr});
  add_stage({.spec = main_stage(cfg_, "train"), .step = [this](const data::Batch& b) { return ce_step(students(), b); }});
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

std::vector<Tensor> FspStrategy::teacher_matrices(const data::Batch& batch) {
  NoGradGuard no_grad;
  teacher().model->eval();
  if (!opts_.cache_teacher) return fsp_matrices(*teacher().model, batch.images);
  // Per-sample cache: compute the matrices of the samples not seen yet, then stack.
  bool all_cached = true;
  for (int64_t i : batch.indices) all_cached &= cache_.count(i) > 0;
  if (!all_cached) {
    std::vector<Tensor> fresh = fsp_matrices(*teacher().model, batch.images);
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

StepLosses FspStrategy::fsp_step(const data::Batch& batch) {
  StepLosses out;
  std::vector<Tensor> gt = teacher_matrices(batch);
  const int64_t b = batch.images.size(0);
  for (size_t k = 0; k < roster_.students.size(); ++k) {
    Network& n = roster_.students[k];
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
      loss = loss.defined() ? loss + l : l;
    }
    minimise(n, loss);
    // No logits: the FSP stage computes none (the trainer's train top-1 shows "-").
    out.ce.emplace_back();
    out.transfer.push_back(loss.detach());
    out.total.push_back(loss.detach());
  }
  return out;
}

}  // namespace

StrategyEntry fsp_strategy_entry() {
  return strategy_entry<FspStrategy, FspOptions>(
      "fsp", "FSP: students match a teacher's flow-of-solution matrices, then train with CE");
}

}  // namespace cohort::distill
