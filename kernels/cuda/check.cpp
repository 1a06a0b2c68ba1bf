// The throw side of COHORT_CUDA_CHECK / COHORT_CUBLAS_CHECK / COHORT_CUDNN_CHECK (check.h):
// a BackendError naming the failing call, the library's error name and text, and the location.
#include "kernels/cuda/check.h"

#include <cstring>
#include <string>

namespace cohort::cuda::detail {

namespace {

const char* basename_of(const char* file) {
  const char* slash = std::strrchr(file, '/');
  return slash ? slash + 1 : file;
}

// cuBLAS has cublasGetStatusName/String since 11.4; kept here so messages read the same for
// every library.
std::string cublas_status_text(cublasStatus_t st) {
  return fmt::format("{}: {}", cublasGetStatusName(st), cublasGetStatusString(st));
}

}  // namespace

void throw_cuda(cudaError_t err, const char* call, const char* file, int line) {
  // Clear the (non-sticky) error so the next unrelated check does not report it again.
  cudaGetLastError();
  throw BackendError(fmt::format("CUDA error {} ({}) in {} ({}:{})", cudaGetErrorName(err),
                                 cudaGetErrorString(err), call, basename_of(file), line));
}

void throw_cublas(cublasStatus_t st, const char* call, const char* file, int line) {
  throw BackendError(fmt::format("cuBLAS error {} in {} ({}:{})", cublas_status_text(st), call,
                                 basename_of(file), line));
}

void throw_cudnn(cudnnStatus_t st, const char* call, const char* file, int line) {
  throw BackendError(fmt::format("cuDNN error {} in {} ({}:{})", cudnnGetErrorString(st), call,
                                 basename_of(file), line));
}

}  // namespace cohort::cuda::detail
