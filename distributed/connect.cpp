#include "distributed/connect.h"

#include <cstdlib>

#include "distributed/detail.h"

namespace cohort::dist {

int local_rank() {
  for (const char* var : {"OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID", "MPI_LOCALRANKID", "PMI_LOCAL_RANK"})
    if (const char* v = std::getenv(var)) return std::atoi(v);
  return 0;
}

#ifndef COHORT_WITH_MPI
std::shared_ptr<Communicator> make_mpi(double) {
  throw ValueError("distributed.backend: this cohort build has no MPI (install libopenmpi-dev and configure with "
                   "-DCOHORT_MPI=ON)");
}
#endif
#ifndef COHORT_WITH_NCCL
std::shared_ptr<Communicator> make_nccl(std::shared_ptr<Communicator>, int, double) {
  throw ValueError("distributed.backend: nccl needs the CUDA build with NCCL; this build has none");
}
#endif

std::shared_ptr<Communicator> connect(const std::string& backend, double timeout_s, Device device) {
  COHORT_CHECK(backend == "auto" || backend == "mpi" || backend == "nccl" || backend == "none",
               "distributed.backend must be one of auto|mpi|nccl|none, got '{}'", backend);
  const bool launched = launched_by_mpi();
  std::shared_ptr<Communicator> host;
  if (backend == "none" || !launched) {
    host = make_single_process();
  } else if (backend == "auto" && !mpi_compiled()) {
    throw ValueError("distributed.backend: started by an MPI launcher, but this cohort build has no MPI (install "
                     "libopenmpi-dev and configure with -DCOHORT_MPI=ON), or set distributed.backend: none");
  } else {
    host = make_mpi(timeout_s);
  }
  host->set_timeout(timeout_s);
  const bool want_nccl = backend == "nccl" || (backend == "auto" && launched && device.is_cuda() && nccl_compiled());
  if (!want_nccl) return host;
  if (!device.is_cuda())
    throw ValueError(fmt::format("distributed.backend: nccl exchanges GPU tensors, but the run's device is {}",
                                 device.str()));
  return make_nccl(host, device.index, timeout_s);
}

}  // namespace cohort::dist
