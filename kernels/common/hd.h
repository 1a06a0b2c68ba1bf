// COHORT_HD marks math that compiles for both host and device, so the CPU reference and the
// CUDA kernels share one formula (docs/architecture.md, kernels/common/).
#pragma once

#if defined(__CUDACC__)
#define COHORT_HD __host__ __device__ __forceinline__
#else
#define COHORT_HD inline
#endif
