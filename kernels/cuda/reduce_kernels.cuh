// Raw-pointer launchers of the reductions (reduce.cu), called by reduce.cpp.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace cohort::cuda::kern {

constexpr int kMaxReduceDims = 8;

// A sum over some dims of a contiguous input, after the host merged neighbouring dims of the
// same kind. Output o (row-major over the kept dims) sums the inputs at
//   base(o) + Σ_k idx_k · red_strides[k]   over every reduced multi-index idx,
// base(o) = Σ_j o_j · kept_strides[j]. `inner_reduced`: the innermost input dim is reduced
// (stride 1), so a block walking the reduction reads consecutive addresses; otherwise the
// innermost dim is kept and consecutive outputs read consecutive addresses.
struct ReducePlan {
  int kept_rank = 0, red_rank = 0;
  int64_t kept_sizes[kMaxReduceDims] = {}, kept_strides[kMaxReduceDims] = {};
  int64_t red_sizes[kMaxReduceDims] = {}, red_strides[kMaxReduceDims] = {};
  int64_t outputs = 1;       // product of kept sizes
  int64_t reduce_count = 1;  // product of reduced sizes
  bool inner_reduced = true;
};

// Bytes of scratch reduce_sum needs for `plan` on a device with `sms` multiprocessors.
size_t reduce_sum_workspace_bytes(const ReducePlan& plan, int sms);
// out[o] = Σ in (accumulated in double, as the CPU does). `workspace` holds at least
// reduce_sum_workspace_bytes(plan, sms) bytes (it may be null when that is 0). Deterministic:
// partial sums are combined in a fixed order.
template <typename T>
void reduce_sum(const T* in, T* out, const ReducePlan& plan, int sms, void* workspace,
                cudaStream_t stream);

// out[r] = index of the maximum of row r of in [rows, cols] (first on ties; the CPU's
// sequential rule for NaN: a NaN in column 0 wins, NaNs elsewhere are never chosen).
template <typename T>
void argmax_lastdim(const T* in, int64_t* out, int64_t rows, int64_t cols, cudaStream_t stream);

}  // namespace cohort::cuda::kern
