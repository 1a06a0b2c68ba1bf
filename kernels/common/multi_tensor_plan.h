// How multi-tensor apply (kernels/cuda/multi_tensor_apply.cuh) packs many tensors into few
// launches — host-only C++, so the CPU test suite checks the packing without a GPU.
//
// Every tensor is cut into chunks of `chunk_size` elements; each chunk is one CUDA block. A
// launch holds at most `max_blocks` blocks and at most `max_tensors` tensor slots (the kernel
// argument carries one pointer per list per slot). Tensors are taken in order; a launch closes
// when its blocks are full or a tensor's last chunk fills its last slot. A tensor whose chunks
// do not all fit continues in the next launch, as that launch's slot 0.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace cohort {

struct MultiTensorLaunch {
  std::vector<int64_t> tensors;                   // slot -> index in the caller's tensor list
  std::vector<std::pair<int, int64_t>> blocks;    // block -> (slot, chunk index in the tensor)
};

inline std::vector<MultiTensorLaunch> plan_multi_tensor_launches(const std::vector<int64_t>& sizes,
                                                                 int max_tensors, int max_blocks,
                                                                 int64_t chunk_size) {
  std::vector<MultiTensorLaunch> launches;
  MultiTensorLaunch current;
  for (size_t k = 0; k < sizes.size(); ++k) {
    if (sizes[k] == 0) continue;  // nothing to update
    current.tensors.push_back(static_cast<int64_t>(k));
    const int64_t chunks = (sizes[k] + chunk_size - 1) / chunk_size;
    for (int64_t c = 0; c < chunks; ++c) {
      current.blocks.emplace_back(static_cast<int>(current.tensors.size()) - 1, c);
      const bool last_chunk = c == chunks - 1;
      const bool blocks_full = static_cast<int>(current.blocks.size()) == max_blocks;
      const bool slots_full = static_cast<int>(current.tensors.size()) == max_tensors;
      if (blocks_full || (last_chunk && slots_full)) {
        launches.push_back(std::move(current));
        current = MultiTensorLaunch{};
        if (!last_chunk) current.tensors.push_back(static_cast<int64_t>(k));  // carried over
      }
    }
  }
  if (!current.blocks.empty()) launches.push_back(std::move(current));
  return launches;
}

}  // namespace cohort
