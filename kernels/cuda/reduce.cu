// Reductions: sum over any set of dims (reduce_sum) and argmax over the last dim.
//
// reduce_sum, after the host merged neighbouring dims of the same kind (reduce.cpp):
//   inner dim reduced (row sums, per-channel sums over [N, C, H·W]): a warp per (output, split)
//     walks the reduced index space, lanes on consecutive addresses; warp-shuffle tree in double.
//   inner dim kept (column sums, e.g. the bias gradient of [N, K]): a 32×8 block per (32
//     consecutive outputs, split); threadIdx.x picks the output so each load instruction of a
//     warp is coalesced, threadIdx.y strides the reduction; shared-memory tree over y.
//   splits: when there are too few outputs to fill the GPU (one output: a full sum), the
//     reduction is cut into `splits` chunks whose double partial sums go to a workspace and are
//     added in split order by a second kernel — deterministic, no atomics.
// Accumulation is in double for f32 and f64, as the CPU reference does.
// Bytes per call: read the input once, write the output once (+ 16·outputs·splits of partials).
//
// argmax_lastdim: a warp per row; each lane keeps its first maximum, then a shuffle tree picks
// the largest value (a NaN above every number, as PyTorch), the lowest index on ties.
// Versions: v1 (this file).
#include <cmath>

#include "kernels/common/elementwise_math.h"
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/check.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/reduce_kernels.cuh"

namespace cohort::cuda::kern {

namespace {

using dev::kWarp;
constexpr int kWarpsPerBlock = 8;
constexpr int64_t kMinChunk = 2048;  // fewest inputs a split is worth

// Offsets of the o-th output and the r-th reduced element. One dim — the common case once the
// host has merged neighbouring dims (a row, a column, the H·W of a channel) — is a multiply;
// only several dims need the int64 div/mod per dim. The branch is uniform across the grid.
__device__ __forceinline__ int64_t kept_offset(const ReducePlan& p, int64_t o) {
  if (p.kept_rank == 1) return o * p.kept_strides[0];
  int64_t off = 0;
  for (int d = p.kept_rank - 1; d >= 0; --d) {
    off += (o % p.kept_sizes[d]) * p.kept_strides[d];
    o /= p.kept_sizes[d];
  }
  return off;
}

__device__ __forceinline__ int64_t reduced_offset(const ReducePlan& p, int64_t r) {
  if (p.red_rank == 1) return r * p.red_strides[0];
  int64_t off = 0;
  for (int d = p.red_rank - 1; d >= 0; --d) {
    off += (r % p.red_sizes[d]) * p.red_strides[d];
    r /= p.red_sizes[d];
  }
  return off;
}

// The sum lands in every lane; the kernels read lane 0's.
__device__ __forceinline__ double warp_sum(double v) { return dev::group_sum<kWarp>(v); }

// Inner dim reduced: warp (o, split) sums reduced indices [split·chunk, (split+1)·chunk).
template <typename T>
__global__ void reduce_rows_kernel(const T* in, T* out, double* partial, ReducePlan p, int splits,
                                   int64_t chunk) {
  const int64_t item = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / kWarp;
  const int lane = threadIdx.x % kWarp;
  if (item >= p.outputs * splits) return;  // whole warps leave together
  const int64_t o = item / splits, split = item % splits;
  const int64_t begin = split * chunk;
  const int64_t end = begin + chunk < p.reduce_count ? begin + chunk : p.reduce_count;
  const T* base = in + kept_offset(p, o);
  double sum = 0.0;
  for (int64_t r = begin + lane; r < end; r += kWarp) sum += static_cast<double>(base[reduced_offset(p, r)]);
  sum = warp_sum(sum);
  if (lane == 0) {
    if (splits == 1) out[o] = static_cast<T>(sum);
    else partial[o * splits + split] = sum;
  }
}

// Inner dim kept: block (tile of 32 outputs, split); threadIdx.y strides the reduction.
template <typename T>
__global__ void reduce_columns_kernel(const T* in, T* out, double* partial, ReducePlan p,
                                      int splits, int64_t chunk) {
  __shared__ double acc[kWarpsPerBlock][kWarp + 1];
  const int64_t tile = blockIdx.x / splits, split = blockIdx.x % splits;
  const int64_t o = tile * kWarp + threadIdx.x;
  const int64_t begin = split * chunk;
  const int64_t end = begin + chunk < p.reduce_count ? begin + chunk : p.reduce_count;
  double sum = 0.0;
  if (o < p.outputs) {
    const T* base = in + kept_offset(p, o);
    for (int64_t r = begin + threadIdx.y; r < end; r += kWarpsPerBlock)
      sum += static_cast<double>(base[reduced_offset(p, r)]);
  }
  acc[threadIdx.y][threadIdx.x] = sum;
  __syncthreads();
  if (threadIdx.y == 0 && o < p.outputs) {
    double total = 0.0;
    for (int y = 0; y < kWarpsPerBlock; ++y) total += acc[y][threadIdx.x];
    if (splits == 1) out[o] = static_cast<T>(total);
    else partial[o * splits + split] = total;
  }
}

template <typename T>
__global__ void reduce_finalize_kernel(const double* partial, T* out, int64_t outputs, int splits) {
  COHORT_GRID_STRIDE_LOOP(o, outputs) {
    double total = 0.0;
    for (int s = 0; s < splits; ++s) total += partial[o * splits + s];
    out[o] = static_cast<T>(total);
  }
}

// Enough (output, split) work items to give every multiprocessor several warps/blocks, and
// splits of at least kMinChunk inputs.
int choose_splits(const ReducePlan& p, int sms) {
  const int64_t items = p.inner_reduced ? p.outputs : (p.outputs + kWarp - 1) / kWarp;
  const int64_t target = p.inner_reduced ? int64_t{sms} * 32 : int64_t{sms} * 4;
  if (items >= target) return 1;
  const int64_t by_fill = (target + items - 1) / items;
  const int64_t by_size = (p.reduce_count + kMinChunk - 1) / kMinChunk;
  const int64_t splits = by_fill < by_size ? by_fill : by_size;
  return static_cast<int>(splits < 1 ? 1 : (splits > 65535 ? 65535 : splits));
}

template <typename T>
__global__ void argmax_kernel(const T* in, int64_t* out, int64_t rows, int64_t cols) {
  const int64_t row = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / kWarp;
  const int lane = threadIdx.x % kWarp;
  if (row >= rows) return;
  const T* x = in + row * cols;
  // The CPU's rule (PyTorch's): the first NaN is the maximum, else the first of the largest.
  // A NaN ranks above every number; among NaNs, or equal numbers, the lower column wins.
  T best = T(0);
  int64_t best_at = -1;
  int best_nan = 0;
  for (int64_t c = lane; c < cols; c += kWarp) {
    const T v = x[c];
    const int v_nan = math::is_nan(v) ? 1 : 0;
    if (best_at < 0 || (!best_nan && (v_nan || v > best))) {
      best = v;
      best_at = c;
      best_nan = v_nan;
    }
  }
  for (int step = kWarp / 2; step > 0; step /= 2) {
    const T other = __shfl_down_sync(0xffffffffu, best, step);
    const int64_t other_at = __shfl_down_sync(0xffffffffu, best_at, step);
    const int other_nan = __shfl_down_sync(0xffffffffu, best_nan, step);
    bool take = false;
    if (other_at >= 0) {
      if (best_at < 0) take = true;
      else if (other_nan != best_nan) take = other_nan;
      else if (!best_nan && other != best) take = other > best;
      else take = other_at < best_at;
    }
    if (take) {
      best = other;
      best_at = other_at;
      best_nan = other_nan;
    }
  }
  if (lane == 0) out[row] = best_at;
}

}  // namespace

size_t reduce_sum_workspace_bytes(const ReducePlan& plan, int sms) {
  const int splits = choose_splits(plan, sms);
  return splits > 1 ? static_cast<size_t>(plan.outputs) * static_cast<size_t>(splits) * sizeof(double) : 0;
}

template <typename T>
void reduce_sum(const T* in, T* out, const ReducePlan& plan, int sms, void* workspace,
                cudaStream_t stream) {
  if (plan.outputs <= 0) return;
  if (plan.reduce_count <= 0) {  // a sum over nothing is 0
    COHORT_CUDA_CHECK(cudaMemsetAsync(out, 0, static_cast<size_t>(plan.outputs) * sizeof(T), stream));
    return;
  }
  const int splits = choose_splits(plan, sms);
  const int64_t chunk = (plan.reduce_count + splits - 1) / splits;
  double* partial = static_cast<double*>(workspace);
  if (plan.inner_reduced) {
    const int64_t items = plan.outputs * splits;
    const unsigned blocks = static_cast<unsigned>((items + kWarpsPerBlock - 1) / kWarpsPerBlock);
    reduce_rows_kernel<T><<<blocks, kWarp * kWarpsPerBlock, 0, stream>>>(in, out, partial, plan,
                                                                          splits, chunk);
  } else {
    const int64_t tiles = (plan.outputs + kWarp - 1) / kWarp;
    const unsigned blocks = static_cast<unsigned>(tiles * splits);
    reduce_columns_kernel<T><<<blocks, dim3(kWarp, kWarpsPerBlock), 0, stream>>>(
        in, out, partial, plan, splits, chunk);
  }
  COHORT_LAUNCH_CHECK();
  if (splits > 1) {
    reduce_finalize_kernel<T><<<grid_for(plan.outputs), kBlock, 0, stream>>>(partial, out,
                                                                              plan.outputs, splits);
    COHORT_LAUNCH_CHECK();
  }
}

template <typename T>
void argmax_lastdim(const T* in, int64_t* out, int64_t rows, int64_t cols, cudaStream_t stream) {
  if (rows <= 0) return;
  const unsigned blocks = static_cast<unsigned>((rows + kWarpsPerBlock - 1) / kWarpsPerBlock);
  argmax_kernel<T><<<blocks, kWarp * kWarpsPerBlock, 0, stream>>>(in, out, rows, cols);
  COHORT_LAUNCH_CHECK();
}

template void reduce_sum<float>(const float*, float*, const ReducePlan&, int, void*, cudaStream_t);
template void reduce_sum<double>(const double*, double*, const ReducePlan&, int, void*, cudaStream_t);
template void argmax_lastdim<float>(const float*, int64_t*, int64_t, int64_t, cudaStream_t);
template void argmax_lastdim<double>(const double*, int64_t*, int64_t, int64_t, cudaStream_t);

}  // namespace cohort::cuda::kern
