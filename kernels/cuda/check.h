// Error checks for every CUDA, cuBLAS and cuDNN call (CUDA translation units only).
// Each throws cohort::BackendError with the failing call's text, the error string and location.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include "core/error.h"

namespace cohort::cuda::detail {
[[noreturn]] void throw_cuda(cudaError_t err, const char* call, const char* file, int line);
[[noreturn]] void throw_cublas(cublasStatus_t st, const char* call, const char* file, int line);
[[noreturn]] void throw_cudnn(cudnnStatus_t st, const char* call, const char* file, int line);
}  // namespace cohort::cuda::detail

#define COHORT_CUDA_CHECK(call)                                                            \
  do {                                                                                     \
    cudaError_t cohort_err_ = (call);                                                      \
    if (cohort_err_ != cudaSuccess)                                                        \
      ::cohort::cuda::detail::throw_cuda(cohort_err_, #call, __FILE__, __LINE__);          \
  } while (0)

#define COHORT_CUBLAS_CHECK(call)                                                          \
  do {                                                                                     \
    cublasStatus_t cohort_st_ = (call);                                                    \
    if (cohort_st_ != CUBLAS_STATUS_SUCCESS)                                               \
      ::cohort::cuda::detail::throw_cublas(cohort_st_, #call, __FILE__, __LINE__);         \
  } while (0)

#define COHORT_CUDNN_CHECK(call)                                                           \
  do {                                                                                     \
    cudnnStatus_t cohort_st_ = (call);                                                     \
    if (cohort_st_ != CUDNN_STATUS_SUCCESS)                                                \
      ::cohort::cuda::detail::throw_cudnn(cohort_st_, #call, __FILE__, __LINE__);          \
  } while (0)

// After every kernel launch: catches bad launch configurations at the launch site.
#define COHORT_LAUNCH_CHECK() COHORT_CUDA_CHECK(cudaGetLastError())
