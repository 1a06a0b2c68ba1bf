// 2-D transpose through shared-memory tiles, one matrix per blockIdx.z for a batch of them.
//
// Algorithm: a 32×8 block moves one 32×32 tile: it reads 32 rows of the tile with coalesced
// loads (threadIdx.x along the row), writes the tile's columns as rows of the output, also
// coalesced. The tile row is padded by one element so the column reads of the second phase
// fall in distinct shared-memory banks. Bytes: read and write rows·cols·sizeof(T) once.
// Versions: v1 (this file); cuBLAS geam would cover float/double only.
#include "kernels/cuda/check.h"
#include "kernels/cuda/linalg_kernels.cuh"

namespace cohort::cuda::kern {

namespace {

constexpr int kTile = 32;
constexpr int kRowsPerPass = 8;

template <typename T>
__global__ void transpose_kernel(const T* in, T* out, int64_t rows, int64_t cols) {
  __shared__ T tile[kTile][kTile + 1];
  in += static_cast<int64_t>(blockIdx.z) * rows * cols;
  out += static_cast<int64_t>(blockIdx.z) * rows * cols;
  const int64_t col0 = static_cast<int64_t>(blockIdx.x) * kTile;
  const int64_t row0 = static_cast<int64_t>(blockIdx.y) * kTile;
  for (int j = threadIdx.y; j < kTile; j += kRowsPerPass) {
    const int64_t r = row0 + j, c = col0 + threadIdx.x;
    if (r < rows && c < cols) tile[j][threadIdx.x] = in[r * cols + c];
  }
  __syncthreads();
  // out[c][r] for the tile: threadIdx.x now runs along r.
  for (int j = threadIdx.y; j < kTile; j += kRowsPerPass) {
    const int64_t c = col0 + j, r = row0 + threadIdx.x;
    if (r < rows && c < cols) out[c * rows + r] = tile[threadIdx.x][j];
  }
}

}  // namespace

template <typename T>
void transpose2d(const T* in, T* out, int64_t batch, int64_t rows, int64_t cols, cudaStream_t stream) {
  if (batch <= 0 || rows <= 0 || cols <= 0) return;
  const dim3 grid(static_cast<unsigned>((cols + kTile - 1) / kTile),
                  static_cast<unsigned>((rows + kTile - 1) / kTile), static_cast<unsigned>(batch));
  COHORT_CHECK(grid.y <= 65535 && batch <= 65535,
               "transpose2d: {} rows or a batch of {} exceed the kernel's grid limit", rows, batch);
  transpose_kernel<T><<<grid, dim3(kTile, kRowsPerPass), 0, stream>>>(in, out, rows, cols);
  COHORT_LAUNCH_CHECK();
}

template void transpose2d<float>(const float*, float*, int64_t, int64_t, int64_t, cudaStream_t);
template void transpose2d<double>(const double*, double*, int64_t, int64_t, int64_t, cudaStream_t);
template void transpose2d<int64_t>(const int64_t*, int64_t*, int64_t, int64_t, int64_t, cudaStream_t);
template void transpose2d<uint8_t>(const uint8_t*, uint8_t*, int64_t, int64_t, int64_t, cudaStream_t);

}  // namespace cohort::cuda::kern
