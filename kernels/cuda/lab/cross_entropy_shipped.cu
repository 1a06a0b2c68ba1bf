// cross-entropy: the version the product library ships (v1, see shipped.h) and the frame every
// version runs in. The family's notes (formulas, bytes per call, every version): cross_entropy.cu.
#include "core/error.h"
#include "kernels/cuda/lab/cross_entropy.cuh"

namespace cohort::cuda::lab {

namespace detail {

namespace {

// ---- the counting pre-pass (one block, integer sum: exact and deterministic) -----------------
constexpr int kCountThreads = 1024;

__global__ void __launch_bounds__(kCountThreads)
    count_rows(const int64_t* y, int64_t N, int C, int64_t ignore, float* count, int* bad) {
  long long k = 0;
  bool any_bad = false;
  for (int64_t n = threadIdx.x; n < N; n += kCountThreads) {
    const int64_t label = y[n];
    if (label == ignore) continue;
    if (label < 0 || label >= C) any_bad = true;
    else ++k;
  }
  if (any_bad && bad) atomicExch(bad, 1);
  k = dev::block_sum<kCountThreads>(k);
  if (threadIdx.x == 0) *count = static_cast<float>(k);
}

// ---- v1: block per row, shared-memory reductions ---------------------------------------------
constexpr int kV1Threads = 256;

__global__ void __launch_bounds__(kV1Threads) ce_v1(CeParams p) {
  const int64_t n = blockIdx.x;
  const float* z = p.z + n * p.C;
  float m = -INFINITY, sum_z = 0.f;
  for (int c = threadIdx.x; c < p.C; c += kV1Threads) m = fmaxf(m, z[c]), sum_z += z[c];
  m = dev::block_max<kV1Threads>(m);
  if (p.eps > 0.f) sum_z = dev::block_sum<kV1Threads>(sum_z);
  float s = 0.f;
  for (int c = threadIdx.x; c < p.C; c += kV1Threads) s += expf(z[c] - m);
  const float lse = m + logf(dev::block_sum<kV1Threads>(s));
  const int64_t label = p.y[n];
  const bool use = p.counted(label);
  if (threadIdx.x == 0) {
    if (p.row_lse) p.row_lse[n] = lse;
    if (p.rows) p.rows[n] = use ? p.row_loss(n, label, lse, sum_z) : 0.0;
  }
  if (!p.grad) return;
  const float g = use ? p.g() : 0.f;
  for (int c = threadIdx.x; c < p.C; c += kV1Threads)
    p.grad[n * p.C + c] = use ? g * p.dz(z[c], c, label, lse) : 0.f;
}

}  // namespace

void launch_ce_v1(const CeParams& p, cudaStream_t stream) {
  ce_v1<<<static_cast<unsigned>(p.N), kV1Threads, 0, stream>>>(p);
}

void check_cross_entropy(int64_t N, int64_t C, float label_smoothing) {
  COHORT_CHECK(N > 0 && C > 0 && C <= (1 << 30),
               "lab::cross_entropy: needs N > 0 and 0 < C <= 2^30; got N={} C={}", N, C);
  COHORT_CHECK(label_smoothing >= 0.f && label_smoothing <= 1.f,
               "lab::cross_entropy: label_smoothing must be in [0, 1], got {}", label_smoothing);
}

void run_cross_entropy(CeLaunch launch, const float* z, const int64_t* y, int64_t N, int64_t C,
                       float label_smoothing, int64_t ignore_index, float* loss, float* row_lse,
                       float* valid, float* grad, const float* grad_loss, int* bad_label,
                       cudaStream_t stream) {
  check_cross_entropy(N, C, label_smoothing);
  Scratch count_scratch(valid ? 0 : sizeof(float), stream);
  float* count = valid ? valid : count_scratch.as<float>();
  count_rows<<<1, kCountThreads, 0, stream>>>(y, N, static_cast<int>(C), ignore_index, count, bad_label);
  COHORT_LAUNCH_CHECK();
  if (!loss && !row_lse && !grad) return;
  Scratch rows(loss ? static_cast<size_t>(N) * sizeof(double) : 0, stream);
  const CeParams p{z, y, N, static_cast<int>(C), label_smoothing, ignore_index,
                   rows.as<double>(), row_lse, grad, grad_loss, count};
  launch(p, stream);
  COHORT_LAUNCH_CHECK();
  if (loss) finalize_rows(rows.as<double>(), 1, N, 1.0, count, loss, stream);
}

}  // namespace detail

static_assert(kShippedVersion == 1, "cross_entropy_shipped calls v1: move the shipped version's kernels here");

void cross_entropy_shipped(const float* z, const int64_t* y, int64_t N, int64_t C,
                           float label_smoothing, int64_t ignore_index, float* loss, float* row_lse,
                           float* valid, float* grad, const float* grad_loss, int* bad_label,
                           cudaStream_t stream) {
  detail::run_cross_entropy(detail::launch_ce_v1, z, y, N, C, label_smoothing, ignore_index, loss,
                            row_lse, valid, grad, grad_loss, bad_label, stream);
}

}  // namespace cohort::cuda::lab
