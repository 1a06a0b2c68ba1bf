// Multi-tensor apply: one kernel launch runs an element-wise functor over chunks of MANY
// tensors (the pattern of apex's multi_tensor_apply and PyTorch's _foreach kernels).
//
// Why: a model has tens to hundreds of parameter tensors, many tiny (biases, BN scales). One
// launch per tensor per arithmetic step would be launch-bound; here the host packs up to
// kMaxBlocks (tensor, chunk) pairs and the pointers/sizes of up to MaxTensors<Depth> tensors
// into a by-value kernel argument (below the 4 KiB parameter limit), so an optimiser step over
// N elements in T tensors costs about max(N / (kChunkSize·kMaxBlocks), T / MaxTensors) launches.
//
// Layout of one launch:
//   meta.addresses[d][k]   pointer to tensor k of list d (d = 0: params, 1: grads, 2.. state)
//   meta.sizes[k]          numel of tensor k (the same in every list)
//   block b works on tensor meta.block_to_tensor[b], elements
//          [chunk·kChunkSize, min((chunk+1)·kChunkSize, size)), chunk = meta.block_to_chunk[b]
// A tensor whose chunks do not all fit in one launch is carried over to the next launch as
// its slot 0. Threads stride through the chunk, so loads and stores are coalesced.
//
// Versions: v1 (this) — scalar grid-stride per chunk. Bytes per element: Depth·sizeof(T) read,
// (Depth − 1)·sizeof(T) written (grads are read only); a vectorised (ILP 4) version would have
// to earn its place with a measured win (docs/kernels.md).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include <cuda_runtime.h>

#include "core/tensor.h"
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

// Runs `op` over every element of the tensors in `lists` (lists[d][k]: tensor k of list d;
// all lists of equal length, tensors pairwise of equal numel, all of element type T on the
// device whose stream is `stream`). Empty tensors are skipped.
template <int Depth, typename T, typename Op>
void multi_tensor_apply(const std::array<const std::vector<Tensor>*, Depth>& lists, const Op& op,
                        cudaStream_t stream) {
  constexpr int kMaxTensors = MaxTensors<Depth>::value;
  const size_t count = lists[0]->size();
  TensorListMeta<Depth> meta;
  int tensors = 0;  // slots filled in meta
  int blocks = 0;   // blocks queued for the next launch

  auto launch = [&] {
    multi_tensor_kernel<Depth, T, Op><<<blocks, kBlockSize, 0, stream>>>(meta, op);
    COHORT_LAUNCH_CHECK();
    blocks = 0;
  };

  for (size_t k = 0; k < count; ++k) {
    const int64_t n = (*lists[0])[k].numel();
    if (n == 0) continue;
    int slot = tensors++;
    for (int d = 0; d < Depth; ++d) meta.addresses[d][slot] = (*lists[d])[k].raw_data();
    meta.sizes[slot] = n;
    const int64_t chunks = (n + kChunkSize - 1) / kChunkSize;
    for (int64_t c = 0; c < chunks; ++c) {
      meta.block_to_tensor[blocks] = static_cast<unsigned char>(slot);
      meta.block_to_chunk[blocks] = static_cast<int>(c);
      ++blocks;
      const bool last_chunk = c == chunks - 1;
      if (blocks == kMaxBlocks || (last_chunk && tensors == kMaxTensors)) {
        launch();
        if (last_chunk) {
          tensors = 0;
        } else {
          // The tensor continues in the next launch: it becomes slot 0 there.
          for (int d = 0; d < Depth; ++d) meta.addresses[d][0] = meta.addresses[d][slot];
          meta.sizes[0] = n;
          slot = 0;
          tensors = 1;
        }
      }
    }
  }
  if (blocks > 0) launch();
}

}  // namespace cohort::cuda::mta
