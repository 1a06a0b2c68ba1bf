// CUDA test runner: returns 77 (CTest SKIP_RETURN_CODE) when no GPU is usable.
// Allocations are poisoned (0xFF bytes, NaN for floats) on the CPU and on the GPU
// (kernels/cuda/runtime.cpp device_alloc), so an op that leaves outputs unwritten fails parity.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <cstdio>

#include "core/backend.h"
#include "core/storage.h"

int main(int argc, char* argv[]) {
  if (!cohort::backend::cuda_available()) {
    std::printf("cohort_cuda_tests: no usable CUDA device; skipping\n");
    return 77;
  }
  cohort::set_poison_allocations(true);
  return Catch::Session().run(argc, argv);
}
