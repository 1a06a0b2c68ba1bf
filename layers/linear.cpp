#include "layers/linear.h"

#include <cmath>

#include "core/init.h"
#include "core/ops/linalg.h"
#include "layers/flops.h"
#include "layers/layer_trace.h"

namespace cohort::nn {

Linear::Linear(int64_t in_features, int64_t out_features, Generator& gen, bool bias) {
  COHORT_CHECK(in_features > 0 && out_features > 0, "Linear: invalid sizes in={} out={}",
               in_features, out_features);
  Tensor w = Tensor::empty({out_features, in_features});
  init::kaiming_uniform_(w, gen, std::sqrt(5.0));
  weight_ = register_parameter("weight", w);
  if (bias) {
    Tensor b = Tensor::empty({out_features});
    const double bound = 1.0 / std::sqrt(static_cast<double>(in_features));
    uniform_(b, gen, -bound, bound);
    bias_ = register_parameter("bias", b);
  }
}

Tensor Linear::forward(const Tensor& x) {
  LayerTrace::record(this, x);
  Tensor y = ops::linear(x, weight_, bias_);
  FlopCounter::add_macs(y.numel() * weight_.size(1));
  return y;
}

}  // namespace cohort::nn
