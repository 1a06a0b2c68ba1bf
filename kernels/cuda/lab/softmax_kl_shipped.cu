// softmax-KL: the version the product library ships (v1, see shipped.h) and the frame every
// version runs in. The family's notes (formulas, bytes per call, every version): softmax_kl.cu.
#include "core/error.h"
#include "kernels/cuda/lab/softmax_kl.cuh"

namespace cohort::cuda::lab {

namespace detail {

namespace {

// ---- v1: block per row, shared-memory reductions, three passes -------------------------------
constexpr int kV1Threads = 256;

__global__ void __launch_bounds__(kV1Threads) kl_v1(KlParams p) {
  const int64_t n = blockIdx.x;
  const float* s = p.s + n * p.C;
  const float* t = p.t + n * p.C;
  float ms = -INFINITY, mt = -INFINITY;
  for (int c = threadIdx.x; c < p.C; c += kV1Threads) {
    ms = fmaxf(ms, s[c] * p.inv_t);
    if (!p.probs) mt = fmaxf(mt, t[c] * p.inv_t);
  }
  ms = dev::block_max<kV1Threads>(ms);
  if (!p.probs) mt = dev::block_max<kV1Threads>(mt);
  float ss = 0.f, st = 0.f;
  for (int c = threadIdx.x; c < p.C; c += kV1Threads) {
    ss += expf(s[c] * p.inv_t - ms);
    if (!p.probs) st += expf(t[c] * p.inv_t - mt);
  }
  const float lse_s = ms + logf(dev::block_sum<kV1Threads>(ss));
  const float lse_t = p.probs ? 0.f : mt + logf(dev::block_sum<kV1Threads>(st));
  const float g = p.grad ? p.g() : 0.f;
  float kl = 0.f;
  for (int c = threadIdx.x; c < p.C; c += kV1Threads) {
    float dp;
    kl += kl_elem(s[c] * p.inv_t, p.probs ? t[c] : t[c] * p.inv_t, p.probs, lse_s, lse_t, &dp);
    if (p.grad) p.grad[n * p.C + c] = g * dp;
  }
  if (p.rows) {
    kl = dev::block_sum<kV1Threads>(kl);
    if (threadIdx.x == 0) p.rows[n] = kl;
  }
}

}  // namespace

void launch_kl_v1(const KlParams& p, cudaStream_t stream) {
  kl_v1<<<static_cast<unsigned>(p.N), kV1Threads, 0, stream>>>(p);
}

void check_softmax_kl(int64_t N, int64_t C, float temperature) {
  COHORT_CHECK(N > 0 && C > 0 && C <= (1 << 30) && temperature > 0.f,
               "lab::softmax_kl: needs N > 0, 0 < C <= 2^30, T > 0; got N={} C={} T={}", N, C,
               temperature);
}

void run_softmax_kl(KlLaunch launch, const float* s, const float* t, int64_t N, int64_t C,
                    float temperature, bool teacher_is_probs, float* loss, float* grad_s,
                    const float* grad_loss, cudaStream_t stream) {
  check_softmax_kl(N, C, temperature);
  if (!loss && !grad_s) return;
  Scratch rows(loss ? static_cast<size_t>(N) * sizeof(double) : 0, stream);
  const KlParams p{s, t, N, static_cast<int>(C), 1.f / temperature, teacher_is_probs,
                   rows.as<double>(), grad_s, grad_loss, temperature / static_cast<float>(N)};
  launch(p, stream);
  COHORT_LAUNCH_CHECK();
  if (loss)
    finalize_rows(rows.as<double>(), 1, N,
                  static_cast<double>(temperature) * temperature / static_cast<double>(N), nullptr,
                  loss, stream);
}

}  // namespace detail

static_assert(kShippedVersion == 1, "softmax_kl_shipped calls v1: move the shipped version's kernels here");

void softmax_kl_shipped(const float* s, const float* t, int64_t N, int64_t C, float temperature,
                        bool teacher_is_probs, float* loss, float* grad_s, const float* grad_loss,
                        cudaStream_t stream) {
  detail::run_softmax_kl(detail::launch_kl_v1, s, t, N, C, temperature, teacher_is_probs, loss,
                         grad_s, grad_loss, stream);
}

}  // namespace cohort::cuda::lab
