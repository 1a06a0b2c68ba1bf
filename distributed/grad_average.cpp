#include "distributed/grad_average.h"

#include "core/autograd.h"
#include "core/ops/elementwise.h"
#include "distributed/exchange.h"

namespace cohort::dist {

GradientAverager::GradientAverager(std::shared_ptr<Communicator> comm, size_t bucket_bytes)
    : comm_(std::move(comm)), bucket_bytes_(std::max<size_t>(bucket_bytes, 1)) {}

void GradientAverager::reduce(const std::vector<Tensor>& params, double weight) {
  NoGradGuard no_grad;
  last_bytes_ = 0;
  std::vector<Tensor> bucket;
  size_t bytes = 0;
  for (const Tensor& p : params) {
    Tensor g = p.grad();
    if (!g.defined()) continue;
    // A bucket holds one dtype on one device (one flat buffer).
    if (!bucket.empty() && (g.dtype() != bucket.front().dtype() || g.device() != bucket.front().device() ||
                            bytes + g.nbytes() > bucket_bytes_)) {
      reduce_bucket(bucket, weight);
      bucket.clear(), bytes = 0;
    }
    bucket.push_back(g);
    bytes += g.nbytes();
  }
  if (!bucket.empty()) reduce_bucket(bucket, weight);
}

void GradientAverager::reduce_bucket(const std::vector<Tensor>& grads, double weight) {
  int64_t total = 0;
  for (const Tensor& g : grads) total += g.numel();
  Tensor flat = Tensor::empty({total}, grads.front().dtype(), grads.front().device());
  int64_t offset = 0;
  for (const Tensor& g : grads) {
    flat.slice(offset, offset + g.numel()).copy_(g.reshape({g.numel()}));
    offset += g.numel();
  }
  Tensor weighted = ops::mul(flat, weight);
  all_reduce_tensor(*comm_, weighted);
  offset = 0;
  for (const Tensor& g : grads) {
    Tensor(g).copy_(weighted.slice(offset, offset + g.numel()).reshape(g.shape()));
    offset += g.numel();
  }
  last_bytes_ += weighted.nbytes();
}

}  // namespace cohort::dist
