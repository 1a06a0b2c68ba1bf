// Helpers shared by the communicator backends (not part of the public interface).
#pragma once

#include <memory>
#include <vector>

#include "distributed/communicator.h"

namespace cohort::dist {

// Throws ValueError unless counts has one entry per rank, local has counts[rank] elements and
// out holds their sum with local's dtype and device.
void check_all_gather_args(const Tensor& local, const Tensor& out, const std::vector<int64_t>& counts, int rank,
                           int size);

// The MPI world communicator (MPI initialised on first use, finalised at exit).
std::shared_ptr<Communicator> make_mpi(double timeout_s);
// A NCCL communicator over the MPI ranks (one GPU per rank: the rank's device), with `host` for
// the byte collectives and the bootstrap.
std::shared_ptr<Communicator> make_nccl(std::shared_ptr<Communicator> host, int device, double timeout_s);

}  // namespace cohort::dist
