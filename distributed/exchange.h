// Tensor exchanges built on a Communicator, for tensors on any device: the MPI backend takes CPU
// buffers, so GPU tensors go through a host copy there; NCCL exchanges them in place.
#pragma once

#include <vector>

#include "distributed/communicator.h"

namespace cohort::dist {

// Every rank passes its parts (each of `part_shape`, any number per rank: parts_per_rank[r] on
// rank r) and gets every rank's parts in rank order, as views of one tensor on `device`.
std::vector<Tensor> all_gather_parts(Communicator& comm, const std::vector<Tensor>& mine, const Shape& part_shape,
                                     DType dtype, const std::vector<int>& parts_per_rank, Device device);

// Every rank's `local` (flattened; counts[r] elements from rank r, zero allowed), concatenated in
// rank order into one 1-D tensor on `device`.
Tensor all_gather_flat(Communicator& comm, const Tensor& local, const std::vector<int64_t>& counts, Device device);

// In place: t becomes root's t on every rank (same shape and dtype everywhere).
void broadcast_tensor(Communicator& comm, Tensor& t, int root);

// In place: t = Σ over ranks.
void all_reduce_tensor(Communicator& comm, Tensor& t);

}  // namespace cohort::dist
