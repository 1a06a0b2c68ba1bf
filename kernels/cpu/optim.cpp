// CPU optimiser updates: a plain loop over each tensor's elements calling the shared
// per-element formula (kernels/common/optim_math.h). The front-end (optim/) has checked the
// list lengths, shapes, dtypes and devices.
#include "kernels/optim.h"

namespace cohort::cpu {

void sgd_update(const std::vector<View>& params, const std::vector<ConstView>& grads,
                const std::vector<View>& momentum_bufs, const SgdHyper& h) {
  if (params.empty()) return;
  COHORT_DISPATCH_FLOATING(params[0].dtype(), "sgd_update", [&] {
    const math::SgdScalars<scalar_t> s = math::sgd_scalars<scalar_t>(h);
    for (size_t t = 0; t < params.size(); ++t) {
      scalar_t* p = params[t].data<scalar_t>();
      const scalar_t* g = grads[t].data<scalar_t>();
      const int64_t n = params[t].numel();
      if (s.has_momentum) {
        scalar_t* buf = momentum_bufs[t].data<scalar_t>();
        for (int64_t i = 0; i < n; ++i) math::sgd_element(p[i], g[i], buf[i], s);
      } else {
        scalar_t unused = 0;
        for (int64_t i = 0; i < n; ++i) math::sgd_element(p[i], g[i], unused, s);
      }
    }
  });
}

void adam_update(const std::vector<View>& params, const std::vector<ConstView>& grads,
                 const std::vector<View>& exp_avgs, const std::vector<View>& exp_avg_sqs,
                 const std::vector<View>& max_exp_avg_sqs, const AdamHyper& h) {
  if (params.empty()) return;
  COHORT_DISPATCH_FLOATING(params[0].dtype(), "adam_update", [&] {
    const math::AdamScalars<scalar_t> s = math::adam_scalars<scalar_t>(h);
    for (size_t t = 0; t < params.size(); ++t) {
      scalar_t* p = params[t].data<scalar_t>();
      const scalar_t* g = grads[t].data<scalar_t>();
      scalar_t* m = exp_avgs[t].data<scalar_t>();
      scalar_t* v = exp_avg_sqs[t].data<scalar_t>();
      const int64_t n = params[t].numel();
      if (s.amsgrad) {
        scalar_t* vmax = max_exp_avg_sqs[t].data<scalar_t>();
        for (int64_t i = 0; i < n; ++i) math::adam_element(p[i], g[i], m[i], v[i], vmax[i], s);
      } else {
        scalar_t unused = 0;
        for (int64_t i = 0; i < n; ++i) math::adam_element(p[i], g[i], m[i], v[i], unused, s);
      }
    }
  });
}

}  // namespace cohort::cpu
