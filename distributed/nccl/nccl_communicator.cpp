// The NCCL backend: GPU collectives on the rank's device, bootstrapped through a host
// communicator (MPI, or the single process for one rank), which also carries the byte
// collectives. The NCCL communicator is non-blocking (NCCL_CONFIG blocking = 0): every
// collective is queued on the device's current stream, then polled (ncclCommGetAsyncError,
// cudaStreamQuery) against the deadline; on a timeout the communicator is aborted
// (ncclCommAbort) and a DistributedError names the collective. Waiting for each collective gives
// up overlap with compute; distributed training exchanges once or twice a step, so it costs little.
// NCCL itself is loaded at run time (distributed/nccl/nccl_api.h).
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <thread>

#include "distributed/detail.h"
#include "distributed/nccl/nccl_api.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/context.h"

namespace cohort::dist {

namespace {

ncclDataType_t nccl_type(DType t) {
  switch (t) {
    case DType::f32: return ncclFloat32;
    case DType::f64: return ncclFloat64;
    case DType::i64: return ncclInt64;
    case DType::u8: return ncclUint8;
  }
  return ncclUint8;
}

class NcclCommunicator final : public Communicator {
 public:
  NcclCommunicator(std::shared_ptr<Communicator> host, int device, double timeout_s)
      : host_(std::move(host)), device_(device) {
    set_timeout(timeout_s);
    host_->set_timeout(timeout_s);
    COHORT_CUDA_CHECK(cudaSetDevice(device_));
    ncclUniqueId id;
    std::memset(&id, 0, sizeof id);
    if (host_->rank() == 0) check(nccl().ncclGetUniqueId(&id), "ncclGetUniqueId");
    const std::string shared =
        host_->broadcast_bytes(std::string(reinterpret_cast<const char*>(&id), sizeof id), 0);
    std::memcpy(&id, shared.data(), sizeof id);
    ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
    config.blocking = 0;
    ncclResult_t r = nccl().ncclCommInitRankConfig(&comm_, host_->size(), id, host_->rank(), &config);
    if (r != ncclInProgress) check(r, "ncclCommInitRankConfig");
    wait_comm("ncclCommInitRankConfig");
  }
  ~NcclCommunicator() override {
    if (comm_) nccl().ncclCommDestroy(comm_);
  }

  int rank() const override { return host_->rank(); }
  int size() const override { return host_->size(); }
  std::string backend() const override { return "nccl"; }
  // The group's NCCL communicator, bootstrapped over the host communicator's split.
  std::shared_ptr<Communicator> split(int color, int key) override {
    return std::make_shared<NcclCommunicator>(host_->split(color, key), device_, timeout_s_);
  }

  void all_gather(const Tensor& local, Tensor& out, const std::vector<int64_t>& counts) override {
    check_all_gather_args(local, out, counts, rank(), size());
    check_device(local, "all_gather");
    const size_t elem = dtype_size(local.dtype());
    cudaStream_t stream = cuda::current_stream(device_);
    const bool equal = std::all_of(counts.begin(), counts.end(), [&](int64_t c) { return c == counts[0]; });
    char* recv = static_cast<char*>(out.raw_data());
    if (equal) {
      enqueue(nccl().ncclAllGather(local.raw_data(), recv, static_cast<size_t>(counts[0]) * elem, ncclUint8, comm_, stream),
              "all_gather");
    } else {
      // Uneven parts: one broadcast per rank, grouped into a single NCCL launch.
      enqueue(nccl().ncclGroupStart(), "all_gather");
      size_t offset = 0;
      for (int r = 0; r < size(); ++r) {
        const size_t bytes = static_cast<size_t>(counts[static_cast<size_t>(r)]) * elem;
        const void* send = r == rank() ? local.raw_data() : recv + offset;
        enqueue(nccl().ncclBroadcast(send, recv + offset, bytes, ncclUint8, r, comm_, stream), "all_gather");
        offset += bytes;
      }
      enqueue(nccl().ncclGroupEnd(), "all_gather");
    }
    wait_stream(stream, "all_gather");
  }

  void all_reduce_sum(Tensor& t) override {
    check_device(t, "all_reduce_sum");
    cudaStream_t stream = cuda::current_stream(device_);
    enqueue(nccl().ncclAllReduce(t.raw_data(), t.raw_data(), static_cast<size_t>(t.numel()), nccl_type(t.dtype()), ncclSum,
                          comm_, stream),
            "all_reduce_sum");
    wait_stream(stream, "all_reduce_sum");
  }

  void broadcast(Tensor& t, int root) override {
    check_device(t, "broadcast");
    COHORT_CHECK(root >= 0 && root < size(), "broadcast: root {} out of range for {} ranks", root, size());
    cudaStream_t stream = cuda::current_stream(device_);
    enqueue(nccl().ncclBroadcast(t.raw_data(), t.raw_data(), t.nbytes(), ncclUint8, root, comm_, stream), "broadcast");
    wait_stream(stream, "broadcast");
  }

  void barrier() override {
    COHORT_CUDA_CHECK(cudaSetDevice(device_));
    wait_stream(cuda::current_stream(device_), "barrier");
    host_->barrier();
  }

  std::vector<std::string> all_gather_bytes(const std::string& local) override {
    return host_->all_gather_bytes(local);
  }
  std::string broadcast_bytes(const std::string& bytes, int root) override {
    return host_->broadcast_bytes(bytes, root);
  }
  [[noreturn]] void abort(int exit_code) override {
    if (comm_) nccl().ncclCommAbort(comm_), comm_ = nullptr;
    host_->abort(exit_code);
    std::_Exit(exit_code);  // not reached: the host communicator ends the job
  }

 private:
  void check_device(const Tensor& t, const char* op) const {
    COHORT_CHECK(t.device().is_cuda() && t.device().index == device_,
                 "{}: the NCCL backend of this rank exchanges tensors on cuda:{}, got one on {}", op, device_,
                 t.device().str());
  }
  void check(ncclResult_t r, const char* op) const {
    if (r != ncclSuccess && r != ncclInProgress)
      throw DistributedError(fmt::format("{} failed: {} ({})", where(op), nccl().ncclGetErrorString(r),
                                         nccl().ncclGetLastError(comm_) ? nccl().ncclGetLastError(comm_) : ""));
  }
  // A call on the non-blocking communicator: may return ncclInProgress while it is being queued.
  void enqueue(ncclResult_t r, const char* op) {
    check(r, op);
    if (r == ncclInProgress) wait_comm(op);
  }
  template <typename Done>
  void poll(Done done, const char* op) {
    using clock = std::chrono::steady_clock;
    const auto start = clock::now();
    const auto deadline = start + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(timeout_s_));
    while (!done()) {
      if (clock::now() > deadline) {
        if (comm_) nccl().ncclCommAbort(comm_), comm_ = nullptr;
        throw DistributedError(fmt::format(
            "{}: no answer from the other ranks within {} s (distributed.timeout_s): a rank has died, is "
            "stopped or stuck, or called a different collective", where(op), timeout_s_));
      }
      if (clock::now() - start > std::chrono::milliseconds(2)) std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }
  void wait_comm(const char* op) {
    poll([&] {
           ncclResult_t state = ncclSuccess;
           check(nccl().ncclCommGetAsyncError(comm_, &state), op);
           check(state, op);
           return state == ncclSuccess;
         }, op);
  }
  void wait_stream(cudaStream_t stream, const char* op) {
    poll([&] {
           ncclResult_t state = ncclSuccess;
           check(nccl().ncclCommGetAsyncError(comm_, &state), op);
           check(state, op);
           const cudaError_t e = cudaStreamQuery(stream);
           if (e == cudaErrorNotReady) return false;
           COHORT_CUDA_CHECK(e);
           return true;
         }, op);
  }

  std::shared_ptr<Communicator> host_;
  int device_ = 0;
  ncclComm_t comm_ = nullptr;
};

}  // namespace

std::shared_ptr<Communicator> make_nccl(std::shared_ptr<Communicator> host, int device, double timeout_s) {
  return std::make_shared<NcclCommunicator>(std::move(host), device, timeout_s);
}

}  // namespace cohort::dist
