#include "kernels/cuda/label_check.h"

#include <deque>

#include "core/error.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/device_util.h"
#include "kernels/cuda/runtime.h"

namespace cohort::cuda {

namespace {

struct PendingCheck {
  int* host_flag;  // pinned; written by the queued copy
  cudaEvent_t done;
  Tensor labels;
  int64_t C, ignore_index;
  int device;
};

// This thread's checks in issue order. Released at thread exit (errors ignored there).
struct PendingChecks {
  std::deque<PendingCheck> checks;
  ~PendingChecks() {
    for (PendingCheck& c : checks) {
      cudaEventDestroy(c.done);
      pinned_free(c.host_flag);
    }
  }
};

PendingChecks& pending() {
  thread_local PendingChecks p;
  return p;
}

[[noreturn]] void throw_bad_label(const PendingCheck& c) {
  const std::vector<int64_t> y = c.labels.to_vector<int64_t>();
  for (size_t n = 0; n < y.size(); ++n)
    COHORT_CHECK(y[n] == c.ignore_index || (y[n] >= 0 && y[n] < c.C),
                 "cross_entropy: label {} at row {} is outside [0, {}) (and is not ignore_index {})", y[n], n, c.C,
                 c.ignore_index);
  throw ValueError(fmt::format("cross_entropy: a label was outside [0, {}) when the loss ran (the labels have "
                               "changed since, so the row is unknown)",
                               c.C));
}

}  // namespace

void defer_label_check(const int* device_flag, const Tensor& labels, int64_t C, int64_t ignore_index, int device,
                       cudaStream_t stream) {
  set_sync_hook(check_deferred_labels);  // the runtime's synchronising calls run the checks
  DeviceGuard guard(device);
  PendingCheck c{static_cast<int*>(pinned_alloc(sizeof(int))), nullptr, labels, C, ignore_index, device};
  cudaError_t err = cudaEventCreateWithFlags(&c.done, cudaEventDisableTiming);
  if (err != cudaSuccess) pinned_free(c.host_flag);
  COHORT_CUDA_CHECK(err);
  pending().checks.push_back(c);
  COHORT_CUDA_CHECK(cudaMemcpyAsync(c.host_flag, device_flag, sizeof(int), cudaMemcpyDeviceToHost, stream));
  COHORT_CUDA_CHECK(cudaEventRecord(c.done, stream));
}

void check_deferred_labels() {
  // The error path reads the labels back, a synchronising copy that calls this again.
  thread_local bool checking = false;
  if (checking) return;
  checking = true;
  struct Reset {
    bool& flag;
    ~Reset() { flag = false; }
  } reset{checking};
  auto& checks = pending().checks;
  for (auto it = checks.begin(); it != checks.end();) {
    const cudaError_t state = cudaEventQuery(it->done);
    if (state == cudaErrorNotReady) {
      ++it;
      continue;
    }
    const PendingCheck c = *it;
    it = checks.erase(it);
    const bool bad = state == cudaSuccess && *c.host_flag != 0;
    cudaEventDestroy(c.done);
    pinned_free(c.host_flag);
    COHORT_CUDA_CHECK(state);
    if (bad) throw_bad_label(c);
  }
}

size_t pending_label_checks() { return pending().checks.size(); }

}  // namespace cohort::cuda
