// The finaliser every lab loss ends with (in the product library with the shipped versions).
#include "kernels/cuda/lab/lab_common.cuh"

namespace cohort::cuda::lab {

namespace {

constexpr int kFinalizeThreads = 256;

__global__ void __launch_bounds__(kFinalizeThreads)
    finalize_rows_kernel(const double* rows, int64_t N, double scale, const float* divisor, float* out) {
  const double* r = rows + static_cast<int64_t>(blockIdx.x) * N;
  double s = 0.0;
  for (int64_t i = threadIdx.x; i < N; i += kFinalizeThreads) s += r[i];
  s = dev::block_sum<kFinalizeThreads>(s);
  // An empty mean (divisor 0) is 0/0 = NaN, as in PyTorch and the CPU reference.
  if (threadIdx.x == 0) out[blockIdx.x] = static_cast<float>(scale * s / (divisor ? static_cast<double>(*divisor) : 1.0));
}

}  // namespace

void finalize_rows(const double* rows, int J, int64_t N, double scale, const float* divisor,
                   float* out, cudaStream_t stream) {
  finalize_rows_kernel<<<static_cast<unsigned>(J), kFinalizeThreads, 0, stream>>>(rows, N, scale, divisor, out);
  COHORT_LAUNCH_CHECK();
}

}  // namespace cohort::cuda::lab
