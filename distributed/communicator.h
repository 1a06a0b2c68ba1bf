// Communicator: the collectives that distributed training needs (docs/distributed.md), behind one
// interface with three backends — a single process (no peers), MPI (CPU buffers; process start-up
// through mpirun/srun, several machines) and NCCL (GPU buffers, bootstrapped over MPI).
//
// Every collective is called by every rank in the same order (as in MPI). Each one waits at most
// `timeout_s` for its peers: a rank that died or stopped makes the others fail with a
// DistributedError naming the collective, instead of hanging forever.
//
// Tensor collectives take contiguous tensors of one dtype on the backend's device kind (MPI: the
// CPU; NCCL: a GPU); the host-byte ones (config hashes, run-directory names) work on every backend.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/tensor.h"

namespace cohort::dist {

// A collective failed or timed out (a peer died, stopped, or called a different collective).
class DistributedError : public Error {
 public:
  using Error::Error;
};

// An error every rank detected by itself, with the same message (a bad configuration checked
// on gathered facts): the ranks can stop normally rather than abort the job.
class ConsistentError : public ValueError {
 public:
  using ValueError::ValueError;
};

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual std::string backend() const = 0;  // "single", "mpi" or "nccl"
  double timeout_s() const { return timeout_s_; }
  void set_timeout(double seconds);

  // out = the ranks' `local` tensors concatenated in rank order; counts[r] is rank r's number of
  // elements (every rank passes the same counts; its own must equal local.numel()). out must
  // hold sum(counts) elements of local's dtype on local's device.
  virtual void all_gather(const Tensor& local, Tensor& out, const std::vector<int64_t>& counts) = 0;
  // In place: t = Σ over ranks of t (same shape and dtype everywhere).
  virtual void all_reduce_sum(Tensor& t) = 0;
  // In place: every rank's t becomes root's t.
  virtual void broadcast(Tensor& t, int root) = 0;
  virtual void barrier() = 0;

  // Host bytes: every rank's `local` (any lengths), in rank order.
  virtual std::vector<std::string> all_gather_bytes(const std::string& local) = 0;
  // Root's `bytes` on every rank.
  virtual std::string broadcast_bytes(const std::string& bytes, int root) = 0;

  // Collective, called by every rank: the ranks passing the same `color` form a new communicator
  // (ranked by `key`, ties by rank here) with this one's timeout — a process group, as
  // MPI_Comm_split. Meant for start-up (data parallelism inside a group of ranks): the MPI backend's
  // split has no deadline.
  virtual std::shared_ptr<Communicator> split(int color, int key) = 0;

  // Ends the whole job at once (after an error only some ranks saw, so no peer waits for a
  // collective that never comes). Does not return.
  [[noreturn]] virtual void abort(int exit_code) = 0;

 protected:
  double timeout_s_ = 300.0;
  // "all_gather (rank 1 of 2, waited 10 s)": for the errors of the backends.
  std::string where(const char* collective) const;
};

// The single-process communicator: size 1, every collective a copy or nothing.
std::shared_ptr<Communicator> make_single_process();

// Whether this process was started by a launcher that MPI can join (mpirun/mpiexec, srun with
// PMI/PMIx): a plain `cohort train` then stays single-process without touching MPI.
bool launched_by_mpi();
// Whether this build has the MPI / NCCL backends (CMake: COHORT_MPI; NCCL in the CUDA build).
bool mpi_compiled();
bool nccl_compiled();

}  // namespace cohort::dist
