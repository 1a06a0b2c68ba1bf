// `cohort train` over several ranks (mpirun / srun; docs/distributed.md): the start-up checks that
// every rank makes together, and how an error on some ranks ends the job.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "distributed/communicator.h"

namespace cohort::cli {

// Compares every rank's resolved config (the YAML written to config.yaml): any difference is a
// ConsistentError on every rank naming the ranks and the first differing line.
void check_same_config(dist::Communicator& comm, const std::string& resolved_yaml);

// Runs `prepare` on rank 0 only and returns its result on every rank; an exception there becomes
// the same ConsistentError on every rank.
std::string share_from_rank0(dist::Communicator& comm, const std::function<std::string()>& prepare);

// " (rank 0 of 3, mpi)" over several ranks, "" for one.
std::string ranks_note(const dist::Communicator& comm);

// Runs `train`; when it throws on a multi-rank run with an error that its peers may not have seen
// (anything but a ConsistentError), prints it with the rank and aborts the whole job so no
// peer waits for a collective that will never come.
int run_on_ranks(std::shared_ptr<dist::Communicator>& comm, const std::function<int()>& train);

}  // namespace cohort::cli
