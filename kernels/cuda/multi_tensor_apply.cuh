// Multi-tensor apply: one kernel launch runs an element-wise functor over chunks of MANY
// tensors (the pattern of apex's multi_tensor_apply and PyTorch's _foreach kernels).
//
// Why: a model has tens to hundreds of parameter tensors, many tiny (biases, BN scales). One
// launch per tensor per arithmetic step would be launch-bound; here the host packs up to
// kMaxBlocks (tensor, chunk) pairs and the pointers/sizes of up to MaxTensors<Depth> tensors
// into a by-value kernel argument (below the 4 KiB parameter limit), so an optimiser step over
// N elements in T tensors costs about max(N / (kChunkSize·kMaxBlocks), T / MaxTensors) launches.
//
// Packing (which tensors and chunks go into which launch): kernels/common/multi_tensor_plan.h,
// host-only so the CPU tests check it. Layout of one launch:
//   meta.addresses[d][k]   pointer to tensor k of list d (d = 0: params, 1: grads, 2.. state)
//   meta.sizes[k]          numel of tensor k (the same in every list)
//   block b works on tensor meta.block_to_tensor[b], elements
//          [chunk·kChunkSize, min((chunk+1)·kChunkSize, size)), chunk = meta.block_to_chunk[b]
// Threads stride through the chunk, so loads and stores are coalesced.
//
// Versions: v1 (this) — scalar grid-stride per chunk. Bytes per element: Depth·sizeof(T) read,
// (Depth − 1)·sizeof(T) written (grads are read only); a vectorised (ILP 4) version would have
// to earn its place with a measured win (docs/kernels.md).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include <cuda_runtime.h>

#include "kernels/common/view.h"
#include "kernels/common/multi_tensor_plan.h"
#include "kernels/cuda/check.h"

namespace cohort::cuda::mta {

constexpr int64_t kChunkSize = 65536;  // elements per block
constexpr int kBlockSize = 512;
constexpr int kMaxBlocks = 320;

// Tensors per launch for a given list depth, sized so the argument struct stays < 4 KiB.
template <int Depth> struct MaxTensors;
template <> struct MaxTensors<1> { static constexpr int value = 110; };
template <> struct MaxTensors<2> { static constexpr int value = 64; };
template <> struct MaxTensors<3> { static constexpr int value = 48; };
template <> struct MaxTensors<4> { static constexpr int value = 36; };
template <> struct MaxTensors<5> { static constexpr int value = 30; };

template <int Depth>
struct TensorListMeta {
  void* addresses[Depth][MaxTensors<Depth>::value];
  int64_t sizes[MaxTensors<Depth>::value];
  unsigned char block_to_tensor[kMaxBlocks];
  int block_to_chunk[kMaxBlocks];
};
static_assert(sizeof(TensorListMeta<5>) < 4000, "multi-tensor kernel argument too large");
static_assert(sizeof(TensorListMeta<1>) < 4000, "multi-tensor kernel argument too large");

// Op: a functor with `__device__ void operator()(T* const* ptrs, int64_t i) const` updating
// element i of the Depth tensors ptrs[0..Depth).
template <int Depth, typename T, typename Op>
__global__ void __launch_bounds__(kBlockSize)
multi_tensor_kernel(TensorListMeta<Depth> meta, Op op) {
  const int tensor = meta.block_to_tensor[blockIdx.x];
  const int64_t begin = static_cast<int64_t>(meta.block_to_chunk[blockIdx.x]) * kChunkSize;
  const int64_t size = meta.sizes[tensor];
  const int64_t end = begin + kChunkSize < size ? begin + kChunkSize : size;
  T* ptrs[Depth];
#pragma unroll
  for (int d = 0; d < Depth; ++d) ptrs[d] = static_cast<T*>(meta.addresses[d][tensor]);
  for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) op(ptrs, i);
}

// Runs `op` over every element of the tensors of the lists {updated[0], grads, updated[1], ...}
// (list d, tensor k: the pointer ptrs[d] of Op for tensor k): list 1 holds the gradients, which
// every Op only reads; the others (parameters, state) are updated in place. All lists are of
// equal length, the tensors of one index of equal numel, all of element type T on the device
// whose stream is `stream`. The packing is plan_multi_tensor_launches
// (kernels/common/multi_tensor_plan.h); empty tensors are skipped.
template <int Depth, typename T, typename Op>
void multi_tensor_apply(const std::vector<ConstView>& grads,
                        const std::array<const std::vector<View>*, Depth - 1>& updated, const Op& op,
                        cudaStream_t stream) {
  std::vector<int64_t> sizes;
  for (const View& t : *updated[0]) sizes.push_back(t.numel());
  const std::vector<MultiTensorLaunch> plan =
      plan_multi_tensor_launches(sizes, MaxTensors<Depth>::value, kMaxBlocks, kChunkSize);
  for (const MultiTensorLaunch& launch : plan) {
    TensorListMeta<Depth> meta;
    for (size_t slot = 0; slot < launch.tensors.size(); ++slot) {
      const size_t k = static_cast<size_t>(launch.tensors[slot]);
      meta.addresses[0][slot] = (*updated[0])[k].raw_data();
      // Read only (see above); the argument struct has one pointer type for every list.
      meta.addresses[1][slot] = const_cast<void*>(grads[k].raw_data());
      for (int d = 2; d < Depth; ++d) meta.addresses[d][slot] = (*updated[d - 1])[k].raw_data();
      meta.sizes[slot] = sizes[k];
    }
    for (size_t b = 0; b < launch.blocks.size(); ++b) {
      meta.block_to_tensor[b] = static_cast<unsigned char>(launch.blocks[b].first);
      meta.block_to_chunk[b] = static_cast<int>(launch.blocks[b].second);
    }
    const int blocks = static_cast<int>(launch.blocks.size());
    multi_tensor_kernel<Depth, T, Op><<<blocks, kBlockSize, 0, stream>>>(meta, op);
    COHORT_LAUNCH_CHECK();
  }
}

}  // namespace cohort::cuda::mta
