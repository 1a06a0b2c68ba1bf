#include "distributed/communicator.h"

#include <cstdlib>
#include <numeric>

namespace cohort::dist {

void Communicator::set_timeout(double seconds) {
  COHORT_CHECK(seconds > 0, "distributed: the collective timeout must be > 0 s, got {}", seconds);
  timeout_s_ = seconds;
}

std::string Communicator::where(const char* collective) const {
  return fmt::format("{} (rank {} of {}, {} backend)", collective, rank(), size(), backend());
}

namespace {

void check_gather_args(const Tensor& local, const Tensor& out, const std::vector<int64_t>& counts, int rank,
                       int size) {
  COHORT_CHECK(static_cast<int>(counts.size()) == size, "all_gather: {} counts for {} ranks", counts.size(), size);
  COHORT_CHECK(local.numel() == counts[static_cast<size_t>(rank)],
               "all_gather: rank {} passes {} elements but counts say {}", rank, local.numel(),
               counts[static_cast<size_t>(rank)]);
  const int64_t total = std::accumulate(counts.begin(), counts.end(), int64_t{0});
  COHORT_CHECK(out.numel() == total && out.dtype() == local.dtype() && out.device() == local.device(),
               "all_gather: the output must hold {} elements of the input's dtype on its device, got {}", total,
               out.str());
}

// One rank: every collective is the identity.
class SingleProcess final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string backend() const override { return "single"; }
  void all_gather(const Tensor& local, Tensor& out, const std::vector<int64_t>& counts) override {
    check_gather_args(local, out, counts, 0, 1);
    out.copy_(local.reshape(out.shape()));
  }
  void all_reduce_sum(Tensor&) override {}
  void broadcast(Tensor&, int root) override {
    COHORT_CHECK(root == 0, "broadcast: root {} out of range for 1 rank", root);
  }
  void barrier() override {}
  std::vector<std::string> all_gather_bytes(const std::string& local) override { return {local}; }
  std::string broadcast_bytes(const std::string& bytes, int) override { return bytes; }
  std::shared_ptr<Communicator> split(int, int) override {
    auto one = std::make_shared<SingleProcess>();
    one->set_timeout(timeout_s_);
    return one;
  }
  [[noreturn]] void abort(int exit_code) override { std::exit(exit_code); }
};

}  // namespace

// Shared with the backends (distributed/detail.h).
void check_all_gather_args(const Tensor& local, const Tensor& out, const std::vector<int64_t>& counts, int rank,
                           int size) {
  check_gather_args(local, out, counts, rank, size);
}

std::shared_ptr<Communicator> make_single_process() { return std::make_shared<SingleProcess>(); }

bool launched_by_mpi() {
  // OpenMPI's mpirun, MPICH/Hydra and Slurm's PMI-2, PMIx (srun --mpi=pmix, OpenMPI 5).
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (std::getenv(var)) return true;
  return false;
}

bool mpi_compiled() {
#ifdef COHORT_WITH_MPI
  return true;
#else
  return false;
#endif
}

bool nccl_compiled() {
#ifdef COHORT_WITH_NCCL
  return true;
#else
  return false;
#endif
}

}  // namespace cohort::dist
