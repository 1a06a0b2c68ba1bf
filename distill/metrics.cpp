#include "distill/metrics.h"

#include <algorithm>
#include <cmath>

#include "core/autograd.h"
#include "core/ops/check.h"
#include "core/ops/elementwise.h"
#include "core/ops/nn.h"
#include "core/ops/reduce.h"

namespace cohort::distill {

int64_t count_topk_correct(const Tensor& logits, const Tensor& labels, int64_t k) {
  ops::check_dim("topk accuracy", logits, 2, "logits");
  COHORT_CHECK(labels.dim() == 1 && labels.size(0) == logits.size(0) && labels.dtype() == DType::i64,
               "topk accuracy: labels {} {} do not match logits {}", shape_str(labels.shape()),
               dtype_name(labels.dtype()), shape_str(logits.shape()));
  // A row is correct when fewer than k classes score strictly higher than the label's class.
  // Done on the host: evaluation batches are small next to training, and this keeps the rule
  // (ties count in the label's favour) explicit.
  std::vector<double> z = logits.detach().to(DType::f64).to_vector<double>();
  std::vector<int64_t> y = labels.to_vector<int64_t>();
  const int64_t n = logits.size(0), c = logits.size(1);
  int64_t correct = 0;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t label = y[static_cast<size_t>(i)];
    COHORT_CHECK(label >= 0 && label < c, "topk accuracy: label {} at row {} is outside [0, {})", label, i, c);
    const double target = z[static_cast<size_t>(i * c + label)];
    // NaN ranks above every number (PyTorch's topk); a NaN label logit is never correct, so
    // NaN logits can never pass for accuracy.
    if (std::isnan(target)) continue;
    int64_t higher = 0;
    for (int64_t j = 0; j < c; ++j) {
      const double v = z[static_cast<size_t>(i * c + j)];
      higher += v > target || std::isnan(v);
    }
    correct += higher < k;
  }
  return correct;
}

double sum_entropy(const Tensor& logits) {
  NoGradGuard no_grad;
  Tensor logp = ops::log_softmax(logits.detach());
  Tensor p = ops::exp(logp);
  return -ops::sum(ops::mul(p, logp)).item();
}

Tensor ensemble_log_probs(const std::vector<Tensor>& logits) {
  COHORT_CHECK(!logits.empty(), "ensemble: no networks given");
  NoGradGuard no_grad;
  Tensor mean = ops::softmax(logits[0].detach());
  for (size_t i = 1; i < logits.size(); ++i) mean = ops::add(mean, ops::softmax(logits[i].detach()));
  return ops::log(ops::mul(mean, 1.0 / static_cast<double>(logits.size())));
}

void AccuracyMeter::add(const Tensor& logits, const Tensor& labels, bool with_entropy) {
  seen += logits.size(0);
  top1 += count_topk_correct(logits, labels, 1);
  top5 += count_topk_correct(logits, labels, std::min<int64_t>(5, logits.size(1)));
  if (with_entropy) entropy_sum += sum_entropy(logits);
}

}  // namespace cohort::distill
