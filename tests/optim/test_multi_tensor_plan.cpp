// The launch packing of the fused CUDA optimiser updates (kernels/common/multi_tensor_plan.h),
// checked on the host: every chunk of every tensor is covered exactly once, and no launch
// exceeds its block or tensor-slot budget.
#include <catch2/catch.hpp>
#include <map>

#include "kernels/common/multi_tensor_plan.h"

using namespace cohort;

namespace {

// Checks the invariants and returns the number of launches.
size_t check_plan(const std::vector<int64_t>& sizes, int max_tensors, int max_blocks,
                  int64_t chunk) {
  const auto plan = plan_multi_tensor_launches(sizes, max_tensors, max_blocks, chunk);
  std::map<int64_t, int64_t> next_chunk;  // tensor -> next expected chunk (chunks in order)
  for (const MultiTensorLaunch& launch : plan) {
    REQUIRE(!launch.blocks.empty());
    REQUIRE(static_cast<int>(launch.blocks.size()) <= max_blocks);
    REQUIRE(static_cast<int>(launch.tensors.size()) <= max_tensors);
    std::vector<bool> slot_used(launch.tensors.size(), false);
    for (const auto& [slot, c] : launch.blocks) {
      REQUIRE(slot >= 0);
      REQUIRE(static_cast<size_t>(slot) < launch.tensors.size());
      slot_used[static_cast<size_t>(slot)] = true;
      const int64_t tensor = launch.tensors[static_cast<size_t>(slot)];
      REQUIRE(c == next_chunk[tensor]);
      ++next_chunk[tensor];
    }
    for (bool used : slot_used) REQUIRE(used);
  }
  for (size_t k = 0; k < sizes.size(); ++k) {
    const int64_t chunks = (sizes[k] + chunk - 1) / chunk;
    REQUIRE(next_chunk[static_cast<int64_t>(k)] == chunks);
  }
  return plan.size();
}

}  // namespace

TEST_CASE("multi-tensor plan covers every chunk once within the launch budgets", "[optim]") {
  // Small tensors only: the slot budget decides (100 tensors, 48 per launch -> 3 launches).
  std::vector<int64_t> small;
  for (int64_t i = 0; i < 100; ++i) small.push_back(i % 7 + 1);
  REQUIRE(check_plan(small, 48, 320, 16) == 3);

  // One tensor of 700 chunks: the block budget decides, the tensor is carried over twice.
  const auto plan = plan_multi_tensor_launches({700 * 16}, 30, 320, 16);
  REQUIRE(plan.size() == 3);
  REQUIRE(plan[1].tensors == std::vector<int64_t>{0});
  REQUIRE(plan[1].blocks.front() == std::pair<int, int64_t>{0, 320});
  REQUIRE(check_plan({700 * 16}, 30, 320, 16) == 3);

  // Empty tensors are skipped; sizes around chunk boundaries; a mixture with carry-over.
  REQUIRE(check_plan({0, 0}, 4, 8, 16) == 0);
  REQUIRE(check_plan({0, 1, 15, 16, 17, 31, 32, 33, 0, 1000, 3}, 3, 8, 16) > 1);
  std::vector<int64_t> mixed;
  for (int64_t i = 0; i < 300; ++i) mixed.push_back((i * 7919) % 301);
  for (int max_tensors : {1, 2, 30, 110})
    for (int max_blocks : {1, 5, 320}) check_plan(mixed, max_tensors, max_blocks, 16);
}
