// CUDA test runner: returns 77 (CTest SKIP_RETURN_CODE) when no GPU is usable.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <cstdio>

#include "core/backend.h"

int main(int argc, char* argv[]) {
  if (!cohort::backend::cuda_available()) {
    std::printf("cohort_cuda_tests: no usable CUDA device; skipping\n");
    return 77;
  }
  return Catch::Session().run(argc, argv);
}
