// Evaluation metrics over logits: top-k accuracy, mean posterior entropy (the DML paper's
// analysis of how "wide" the minima are), and the ensemble of several networks' posteriors.
// Accumulators work batch by batch on any device; the one host sync per batch is the .item()
// of the already reduced counts.
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace cohort::distill {

// Number of rows of `logits` [N,C] whose label (i64 [N]) is among the k largest logits. A NaN
// ranks above every number (PyTorch's topk) and a row whose label logit is NaN is never correct.
int64_t count_topk_correct(const Tensor& logits, const Tensor& labels, int64_t k);
// Sum over rows of the entropy −Σ_c p_c log p_c of softmax(logits) (natural log).
double sum_entropy(const Tensor& logits);
// log of the mean of the networks' softmax probabilities: the ensemble's "logits" (any
// monotone transform of the mean probability ranks classes the same).
Tensor ensemble_log_probs(const std::vector<Tensor>& logits);

struct AccuracyMeter {
  int64_t seen = 0, top1 = 0, top5 = 0;
  double entropy_sum = 0.0;
  void add(const Tensor& logits, const Tensor& labels, bool with_entropy = true);
  double top1_pct() const { return seen ? 100.0 * static_cast<double>(top1) / static_cast<double>(seen) : 0.0; }
  double top5_pct() const { return seen ? 100.0 * static_cast<double>(top5) / static_cast<double>(seen) : 0.0; }
  double mean_entropy() const { return seen ? entropy_sum / static_cast<double>(seen) : 0.0; }
};

}  // namespace cohort::distill
