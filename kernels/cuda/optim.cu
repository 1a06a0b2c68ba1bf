// Fused optimiser updates on CUDA: SGD (momentum, dampening, Nesterov, L2) and Adam/AdamW
// (amsgrad) over whole parameter lists with multi-tensor apply.
//
// Algorithm: per element the formulas of kernels/common/optim_math.h (the CPU reference runs the
// same functions). One launch covers up to 320 chunks of 64K elements from up to 30-64 tensors.
// Bytes per element and step (T = sizeof(element)):
//   SGD without momentum: read p, g; write p                     -> 3T
//   SGD with momentum:    read p, g, buf; write p, buf           -> 5T
//   Adam:                 read p, g, m, v; write p, m, v         -> 7T  (+2T with amsgrad)
// FLOPs per element: ~6 (SGD) and ~14 plus one sqrt (Adam); the kernels are bandwidth-bound.
// Versions: v1 — scalar grid-stride multi-tensor kernel (multi_tensor_apply.cuh).
#include "kernels/optim.h"

#include "kernels/cuda/context.h"
#include "kernels/cuda/device_util.h"
#include "kernels/cuda/multi_tensor_apply.cuh"

namespace cohort::cuda {

namespace {

// ptrs: {param, grad, momentum_buf} (the buffer only when HasMomentum).
template <typename T, bool HasMomentum>
struct SgdOp {
  math::SgdScalars<T> s;
  __device__ void operator()(T* const* ptrs, int64_t i) const {
    T p = ptrs[0][i];
    T buf = T(0);
    if constexpr (HasMomentum) buf = ptrs[2][i];
    math::sgd_element(p, ptrs[1][i], buf, s);
    ptrs[0][i] = p;
    if constexpr (HasMomentum) ptrs[2][i] = buf;
  }
};

// ptrs: {param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq} (the last only when AmsGrad).
template <typename T, bool AmsGrad>
struct AdamOp {
  math::AdamScalars<T> s;
  __device__ void operator()(T* const* ptrs, int64_t i) const {
    T p = ptrs[0][i], m = ptrs[2][i], v = ptrs[3][i];
    T vmax = T(0);
    if constexpr (AmsGrad) vmax = ptrs[4][i];
    math::adam_element(p, ptrs[1][i], m, v, vmax, s);
    ptrs[0][i] = p;
    ptrs[2][i] = m;
    ptrs[3][i] = v;
    if constexpr (AmsGrad) ptrs[4][i] = vmax;
  }
};

}  // namespace

void sgd_update(const std::vector<View>& params, const std::vector<ConstView>& grads,
                const std::vector<View>& momentum_bufs, const SgdHyper& h) {
  if (params.empty()) return;
  // The parameters' device made current: a launch goes to the current device, whatever the
  // stream belongs to (parameters on cuda:1 while the thread has cuda:0 selected).
  const int device = params[0].device().index;
  DeviceGuard guard(device);
  cudaStream_t stream = current_stream(device);
  COHORT_DISPATCH_FLOATING(params[0].dtype(), "sgd_update", [&] {
    const math::SgdScalars<scalar_t> s = math::sgd_scalars<scalar_t>(h);
    if (s.has_momentum) {
      mta::multi_tensor_apply<3, scalar_t>(grads, {&params, &momentum_bufs},
                                           SgdOp<scalar_t, true>{s}, stream);
    } else {
      mta::multi_tensor_apply<2, scalar_t>(grads, {&params}, SgdOp<scalar_t, false>{s}, stream);
    }
  });
}

void adam_update(const std::vector<View>& params, const std::vector<ConstView>& grads,
                 const std::vector<View>& exp_avgs, const std::vector<View>& exp_avg_sqs,
                 const std::vector<View>& max_exp_avg_sqs, const AdamHyper& h) {
  if (params.empty()) return;
  // The parameters' device made current: a launch goes to the current device, whatever the
  // stream belongs to (parameters on cuda:1 while the thread has cuda:0 selected).
  const int device = params[0].device().index;
  DeviceGuard guard(device);
  cudaStream_t stream = current_stream(device);
  COHORT_DISPATCH_FLOATING(params[0].dtype(), "adam_update", [&] {
    const math::AdamScalars<scalar_t> s = math::adam_scalars<scalar_t>(h);
    if (s.amsgrad) {
      mta::multi_tensor_apply<5, scalar_t>(
          grads, {&params, &exp_avgs, &exp_avg_sqs, &max_exp_avg_sqs},
          AdamOp<scalar_t, true>{s}, stream);
    } else {
      mta::multi_tensor_apply<4, scalar_t>(grads, {&params, &exp_avgs, &exp_avg_sqs},
                                           AdamOp<scalar_t, false>{s}, stream);
    }
  });
}

}  // namespace cohort::cuda
