// The choice of CUDA loss kernels (core/loss_kernels.h) and the lab's shipped default versions:
// both stay on the plain kernels until a GPU benchmark log justifies faster ones
// (docs/kernels.md, "Which version ships"). Pure host code, so it runs on the CPU machine.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "core/error.h"
#include "core/loss_kernels.h"
#ifdef COHORT_WITH_CUDA
#include "kernels/cuda/lab/lab.h"
#endif

using namespace cohort;

TEST_CASE("COHORT_LOSS_KERNELS: unset means the simple kernels; simple and lab are the choices",
          "[loss_kernels]") {
  REQUIRE(parse_loss_kernels(nullptr) == LossKernels::simple);
  REQUIRE(parse_loss_kernels("") == LossKernels::simple);
  REQUIRE(parse_loss_kernels("simple") == LossKernels::simple);
  REQUIRE(parse_loss_kernels("lab") == LossKernels::lab);
  REQUIRE_THROWS_AS(parse_loss_kernels("best"), ValueError);
  REQUIRE_THROWS_WITH(parse_loss_kernels("fast"),
                      Catch::Contains("COHORT_LOSS_KERNELS") && Catch::Contains("'fast'"));
}

TEST_CASE("the losses run the simple kernels unless told otherwise, and the choice can be set",
          "[loss_kernels]") {
  const char* env = std::getenv("COHORT_LOSS_KERNELS");
  if (env == nullptr || *env == '\0') REQUIRE(loss_kernels() == LossKernels::simple);
  const LossKernels before = loss_kernels();
  set_loss_kernels(LossKernels::lab);
  REQUIRE(loss_kernels() == LossKernels::lab);
  set_loss_kernels(LossKernels::simple);
  REQUIRE(loss_kernels() == LossKernels::simple);
  set_loss_kernels(before);
}

#ifdef COHORT_WITH_CUDA
TEST_CASE("lab kBest is the block-per-row version (FSP: cuBLAS) until a GPU log says otherwise",
          "[loss_kernels][lab]") {
  using cuda::lab::Family;
  using cuda::lab::kBest;
  using cuda::lab::resolve_version;
  for (int64_t C : {10, 100, 1000, 5000}) {
    REQUIRE(resolve_version(Family::softmax_kl, kBest, C) == 1);
    REQUIRE(resolve_version(Family::cross_entropy, kBest, C) == 1);
    for (int K : {2, 4, 8}) REQUIRE(resolve_version(Family::cohort_kl, kBest, C, K) == 1);
  }
  REQUIRE(resolve_version(Family::fsp, kBest, 0) == 0);
  // Explicit versions stay selectable; v2 where it does not apply still runs v3.
  REQUIRE(resolve_version(Family::cross_entropy, 2, 100) == 2);
  REQUIRE(resolve_version(Family::cross_entropy, 2, 5000) == 3);
  REQUIRE(resolve_version(Family::cohort_kl, 2, 1000, 4) == 3);
  REQUIRE(resolve_version(Family::fsp, 2, 0) == 2);
}
#endif
