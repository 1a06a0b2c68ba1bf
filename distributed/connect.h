// Joining the other ranks of a distributed run: which communicator a process gets from the
// `distributed.backend` setting and how it was started (docs/distributed.md).
#pragma once

#include <memory>
#include <string>

#include "core/device.h"
#include "distributed/communicator.h"

namespace cohort::dist {

// backend: "auto" (MPI when started by mpirun/srun, NCCL on top of it when `device` is a GPU and
// the build has NCCL; a single process otherwise), "mpi", "nccl" or "none" (a single process even
// under mpirun). Not started by a launcher, every backend but nccl is a single process; nccl then
// makes a one-rank NCCL communicator on `device`. An impossible request (mpi in a build without
// MPI, nccl without a GPU or without NCCL) is a ValueError naming distributed.backend.
std::shared_ptr<Communicator> connect(const std::string& backend, double timeout_s, Device device);

// The GPU a rank should use on its machine: its local rank (OMPI_COMM_WORLD_LOCAL_RANK,
// SLURM_LOCALID, MPI_LOCALRANKID) modulo the GPUs present; 0 when none is set.
int local_rank();

}  // namespace cohort::dist
