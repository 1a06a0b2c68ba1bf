// Launch-shape helpers shared by the hand-written kernels (.cu files only).
#pragma once

#include <algorithm>
#include <cstdint>

namespace cohort::cuda::kern {

constexpr int kBlock = 256;

// Blocks for a grid-stride loop over n items: one item per thread up to 16M threads, beyond
// that each thread loops (a capped grid keeps launch cost flat for huge tensors).
inline unsigned grid_for(int64_t n, int block = kBlock) {
  const int64_t blocks = (n + block - 1) / block;
  return static_cast<unsigned>(std::clamp<int64_t>(blocks, 1, 65536));
}

}  // namespace cohort::cuda::kern

// for (i = global thread index; i < n; i += total threads)
#define COHORT_GRID_STRIDE_LOOP(i, n)                                                      \
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(blockDim.x) * gridDim.x)
