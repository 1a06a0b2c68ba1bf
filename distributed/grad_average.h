// Data parallelism's gradient exchange: every rank's gradients, weighted by its share of the
// global batch, summed over ranks in buckets of about bucket_bytes (one all-reduce each), so the
// result is the gradient of the mean loss over the whole batch on every rank.
#pragma once

#include <memory>
#include <vector>

#include "distributed/communicator.h"

namespace cohort::dist {

class GradientAverager {
 public:
  GradientAverager(std::shared_ptr<Communicator> comm, size_t bucket_bytes);
  // In place, for every parameter with a gradient (the same set on every rank): grad = Σ_r w_r ·
  // grad_r, with `weight` this rank's w_r (its rows / the global batch's rows).
  void reduce(const std::vector<Tensor>& params, double weight);
  // Bytes all-reduced by the last reduce() (docs/distributed.md's communication figures).
  size_t last_bytes() const { return last_bytes_; }

 private:
  void reduce_bucket(const std::vector<Tensor>& grads, double weight);
  std::shared_ptr<Communicator> comm_;
  size_t bucket_bytes_;
  size_t last_bytes_ = 0;
};

}  // namespace cohort::dist
