// The MPI backend: non-blocking collectives on CPU buffers, completed by polling against a
// deadline, so a dead or stopped peer becomes a DistributedError after timeout_s instead of a
// hang. Only the main thread calls MPI (MPI_THREAD_FUNNELED); the data loader's threads never do.
#include <mpi.h>

#include <chrono>
#include <climits>
#include <cstring>
#include <mutex>
#include <thread>

#include "distributed/detail.h"

namespace cohort::dist {

namespace {

std::string mpi_error_text(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(code, text, &len);
  return std::string(text, static_cast<size_t>(len));
}

// MPI_Init once per process; MPI_Finalize at exit unless the job was aborted.
void ensure_initialised() {
  static std::once_flag once;
  std::call_once(once, [] {
    int initialised = 0;
    MPI_Initialized(&initialised);
    if (initialised) return;
    int provided = 0;
    if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
      throw DistributedError("distributed: MPI_Init_thread failed (is this process started by mpirun or srun?)");
    std::atexit([] {
      int finalised = 0;
      MPI_Finalized(&finalised);
      if (!finalised) MPI_Finalize();
    });
  });
}

MPI_Datatype reduce_type(DType t) {
  switch (t) {
    case DType::f32: return MPI_FLOAT;
    case DType::f64: return MPI_DOUBLE;
    case DType::i64: return MPI_INT64_T;
    case DType::u8: return MPI_UINT8_T;
  }
  return MPI_BYTE;
}

int as_int(size_t n, const char* what) {
  if (n > static_cast<size_t>(INT_MAX))
    throw DistributedError(fmt::format("{}: {} bytes exceed MPI's int count; exchange less per call", what, n));
  return static_cast<int>(n);
}

class MpiCommunicator final : public Communicator {
 public:
  explicit MpiCommunicator(double timeout_s) {
    ensure_initialised();
    set_timeout(timeout_s);
    // A private copy of the world, returning errors instead of aborting inside MPI.
    MPI_Comm_dup(MPI_COMM_WORLD, &comm_);
    MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
  }
  // A communicator already made (split): takes it over.
  MpiCommunicator(MPI_Comm comm, double timeout_s) : comm_(comm) {
    set_timeout(timeout_s);
    MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
  }
  // comm_ is left to MPI_Finalize: freeing it here could block on a peer that has gone.

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend() const override { return "mpi"; }

  void all_gather(const Tensor& local, Tensor& out, const std::vector<int64_t>& counts) override {
    check_all_gather_args(local, out, counts, rank_, size_);
    check_cpu(local, "all_gather");
    const size_t elem = dtype_size(local.dtype());
    std::vector<int> bytes(static_cast<size_t>(size_)), displs(static_cast<size_t>(size_));
    size_t offset = 0;
    for (int r = 0; r < size_; ++r) {
      bytes[static_cast<size_t>(r)] = as_int(static_cast<size_t>(counts[static_cast<size_t>(r)]) * elem, "all_gather");
      displs[static_cast<size_t>(r)] = as_int(offset, "all_gather");
      offset += static_cast<size_t>(bytes[static_cast<size_t>(r)]);
    }
    MPI_Request req;
    check(MPI_Iallgatherv(local.raw_data(), bytes[static_cast<size_t>(rank_)], MPI_BYTE, out.raw_data(),
                          bytes.data(), displs.data(), MPI_BYTE, comm_, &req),
          "all_gather");
    wait(req, "all_gather");
  }

  void all_reduce_sum(Tensor& t) override {
    check_cpu(t, "all_reduce_sum");
    COHORT_CHECK(t.dtype() != DType::u8, "all_reduce_sum: u8 tensors are not summed (overflow)");
    MPI_Request req;
    check(MPI_Iallreduce(MPI_IN_PLACE, t.raw_data(), as_int(static_cast<size_t>(t.numel()), "all_reduce_sum"),
                         reduce_type(t.dtype()), MPI_SUM, comm_, &req),
          "all_reduce_sum");
    wait(req, "all_reduce_sum");
  }

  void broadcast(Tensor& t, int root) override {
    check_cpu(t, "broadcast");
    COHORT_CHECK(root >= 0 && root < size_, "broadcast: root {} out of range for {} ranks", root, size_);
    MPI_Request req;
    check(MPI_Ibcast(t.raw_data(), as_int(t.nbytes(), "broadcast"), MPI_BYTE, root, comm_, &req), "broadcast");
    wait(req, "broadcast");
  }

  void barrier() override {
    MPI_Request req;
    check(MPI_Ibarrier(comm_, &req), "barrier");
    wait(req, "barrier");
  }

  std::vector<std::string> all_gather_bytes(const std::string& local) override {
    std::vector<int64_t> lengths(static_cast<size_t>(size_));
    int64_t mine = static_cast<int64_t>(local.size());
    MPI_Request req;
    check(MPI_Iallgather(&mine, 1, MPI_INT64_T, lengths.data(), 1, MPI_INT64_T, comm_, &req), "all_gather_bytes");
    wait(req, "all_gather_bytes");
    std::vector<int> counts(static_cast<size_t>(size_)), displs(static_cast<size_t>(size_));
    size_t offset = 0;
    for (size_t r = 0; r < lengths.size(); ++r) {
      counts[r] = as_int(static_cast<size_t>(lengths[r]), "all_gather_bytes");
      displs[r] = as_int(offset, "all_gather_bytes");
      offset += static_cast<size_t>(lengths[r]);
    }
    std::string all(offset, '\0');
    check(MPI_Iallgatherv(local.data(), counts[static_cast<size_t>(rank_)], MPI_BYTE, all.data(), counts.data(),
                          displs.data(), MPI_BYTE, comm_, &req),
          "all_gather_bytes");
    wait(req, "all_gather_bytes");
    std::vector<std::string> out;
    for (size_t r = 0; r < lengths.size(); ++r)
      out.push_back(all.substr(static_cast<size_t>(displs[r]), static_cast<size_t>(counts[r])));
    return out;
  }

  std::string broadcast_bytes(const std::string& bytes, int root) override {
    COHORT_CHECK(root >= 0 && root < size_, "broadcast_bytes: root {} out of range for {} ranks", root, size_);
    int64_t length = static_cast<int64_t>(bytes.size());
    MPI_Request req;
    check(MPI_Ibcast(&length, 1, MPI_INT64_T, root, comm_, &req), "broadcast_bytes");
    wait(req, "broadcast_bytes");
    std::string out = rank_ == root ? bytes : std::string(static_cast<size_t>(length), '\0');
    check(MPI_Ibcast(out.data(), as_int(out.size(), "broadcast_bytes"), MPI_BYTE, root, comm_, &req),
          "broadcast_bytes");
    wait(req, "broadcast_bytes");
    return out;
  }

  std::shared_ptr<Communicator> split(int color, int key) override {
    COHORT_CHECK(color >= 0, "split: color must be >= 0, got {}", color);
    MPI_Comm group = MPI_COMM_NULL;
    check(MPI_Comm_split(comm_, color, key, &group), "split");
    return std::make_shared<MpiCommunicator>(group, timeout_s_);
  }

  [[noreturn]] void abort(int exit_code) override {
    MPI_Abort(MPI_COMM_WORLD, exit_code);
    std::_Exit(exit_code);  // MPI_Abort does not return; this keeps [[noreturn]] honest
  }

 private:
  static void check_cpu(const Tensor& t, const char* op) {
    COHORT_CHECK(t.device().is_cpu(), "{}: the MPI backend exchanges CPU tensors, got one on {} (use the nccl "
                 "backend for GPU tensors)", op, t.device().str());
  }
  void check(int code, const char* op) const {
    if (code != MPI_SUCCESS) throw DistributedError(fmt::format("{} failed: {}", where(op), mpi_error_text(code)));
  }
  // Polls the request until it completes or the deadline passes: spinning for the first
  // milliseconds (a step's exchange is usually that fast), then sleeping between polls so a
  // waiting rank leaves the core to the others.
  void wait(MPI_Request& req, const char* op) const {
    using clock = std::chrono::steady_clock;
    const auto start = clock::now();
    const auto deadline = start + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(timeout_s_));
    for (int polls = 0;; ++polls) {
      int done = 0;
      check(MPI_Test(&req, &done, MPI_STATUS_IGNORE), op);
      if (done) return;
      const auto now = clock::now();
      if (now > deadline)
        throw DistributedError(fmt::format(
            "{}: no answer from the other ranks within {} s (distributed.timeout_s): a rank has died, is "
            "stopped or stuck, or called a different collective", where(op), timeout_s_));
      if (now - start > std::chrono::milliseconds(2)) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1;
};

}  // namespace

std::shared_ptr<Communicator> make_mpi(double timeout_s) { return std::make_shared<MpiCommunicator>(timeout_s); }

}  // namespace cohort::dist
