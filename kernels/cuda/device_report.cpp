// cuda::device_report (runtime.h): what `cohort info` prints about the GPU side.
#include <cublas_v2.h>
#include <cudnn.h>

#include "kernels/cuda/check.h"
#include "kernels/cuda/runtime.h"

namespace cohort::cuda {

std::string device_report() {
  if (!is_available()) return "devices: cpu only — no usable CUDA device: " + unavailable_reason();
  int driver = 0, runtime = 0;
  cudaDriverGetVersion(&driver);
  cudaRuntimeGetVersion(&runtime);
  int cublas_major = 0, cublas_minor = 0, cublas_patch = 0;
  cublasGetProperty(MAJOR_VERSION, &cublas_major);
  cublasGetProperty(MINOR_VERSION, &cublas_minor);
  cublasGetProperty(PATCH_LEVEL, &cublas_patch);
  std::string out = fmt::format("CUDA driver {}.{}, runtime {}.{}; cuDNN {}; cuBLAS {}.{}.{}", driver / 1000,
                                (driver % 1000) / 10, runtime / 1000, (runtime % 1000) / 10, cudnnGetVersion(),
                                cublas_major, cublas_minor, cublas_patch);
  for (int i = 0; i < device_count(); ++i) {
    cudaDeviceProp p{};
    COHORT_CUDA_CHECK(cudaGetDeviceProperties(&p, i));
    out += fmt::format("\ncuda:{}  {}  sm_{}{}  {:.1f} GiB  {} SMs", i, p.name, p.major, p.minor,
                       static_cast<double>(p.totalGlobalMem) / (1ull << 30), p.multiProcessorCount);
  }
  return out;
}

}  // namespace cohort::cuda
