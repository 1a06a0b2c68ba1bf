// Raw-pointer launcher of the transpose kernel (linalg.cu), called by linalg.cpp.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace cohort::cuda::kern {

// out [cols, rows] = in [rows, cols]ᵀ. Instantiated for float, double, int64_t, uint8_t.
template <typename T>
void transpose2d(const T* in, T* out, int64_t batch, int64_t rows, int64_t cols, cudaStream_t stream);

}  // namespace cohort::cuda::kern
